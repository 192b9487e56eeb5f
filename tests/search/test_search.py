"""Search as an operator and a manager see it: word forms in both languages, phrases, prefixes,
filters, paging, the marked passages (escaped) and who finds what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from chat.actions import (
    ReceivedMessage,
    do_close,
    do_operator_reply,
    do_rate_conversation,
    do_set_contact_details,
    do_set_operator_status,
)
from chat.models import Conversation, Message, Operator, Reason
from search.selectors import SearchResults, search
from workspace.history_filters import HistoryFilters

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL full text")


def texts(results: SearchResults) -> list[str]:
    return [Message.objects.get(pk=hit.message_id).text for hit in results.messages]


@pytest.fixture
def manager(make_operator: Callable[..., Operator]) -> Operator:
    return make_operator("Maria", is_manager=True)


@pytest.fixture
def online(make_operator: Callable[..., Operator]) -> Callable[[str], Operator]:
    def make(name: str) -> Operator:
        operator = make_operator(name)
        do_set_operator_status(operator_id=operator.pk, status="online")
        return operator

    return make


def test_word_forms_in_russian_and_english(manager: Operator, shopper_writes: Callable[..., ReceivedMessage]) -> None:
    shopper_writes("v-1", "Где мой заказ? Жду уже неделю")
    shopper_writes("v-2", "I want to cancel my orders, please")
    shopper_writes("v-3", "Спасибо, всё пришло")

    assert texts(search(operator=manager, text="заказы")) == ["Где мой заказ? Жду уже неделю"]
    assert texts(search(operator=manager, text="order")) == ["I want to cancel my orders, please"]
    assert texts(search(operator=manager, text="ЗАКАЗ неделю")) == ["Где мой заказ? Жду уже неделю"]
    assert texts(search(operator=manager, text="заказ спасибо")) == []


def test_phrase_and_prefix(manager: Operator, shopper_writes: Callable[..., ReceivedMessage]) -> None:
    shopper_writes("v-1", "Когда придёт доставка курьером?")
    shopper_writes("v-2", "Курьером? Нет, доставка в пункт выдачи")

    assert texts(search(operator=manager, text='"доставка курьером"')) == ["Когда придёт доставка курьером?"]
    assert len(search(operator=manager, text="доставка курьером").messages) == 2
    assert len(search(operator=manager, text="курь*").messages) == 2
    assert texts(search(operator=manager, text="выда*")) == ["Курьером? Нет, доставка в пункт выдачи"]


def test_the_passage_is_escaped_and_the_words_marked(
    manager: Operator, shopper_writes: Callable[..., ReceivedMessage]
) -> None:
    shopper_writes("v-x", '<script>alert("x")</script> <b>заказ</b> \ue000 forged \ue001 & co')
    hit = search(operator=manager, text="заказ").messages[0]
    html = str(hit.headline)
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html
    assert "<mark>заказ</mark>" in html
    assert html.count("<mark>") == 1 and "\ue000" not in html
    assert hit.url == f"/workspace/history/{hit.conversation_id}/#message-{hit.message_id}"


def test_an_operator_finds_only_what_they_may_read(
    manager: Operator, online: Callable[[str], Operator], shopper_writes: Callable[..., ReceivedMessage]
) -> None:
    boris = online("Boris")
    borises = shopper_writes("v-b", "Секретный заказ Бориса").conversation
    anna = online("Anna")
    annas = shopper_writes("v-a", "Мой заказ для Анны").conversation
    assert [Conversation.objects.get(pk=chat.pk).operator_id for chat in (borises, annas)] == [boris.pk, anna.pk]
    queued = shopper_writes("v-q", "Заказ ждёт в очереди", queue_slug="stylist").conversation
    assert Conversation.objects.get(pk=queued.pk).operator_id is None

    assert texts(search(operator=anna, text="заказ")) == ["Заказ ждёт в очереди", "Мой заказ для Анны"]
    assert texts(search(operator=boris, text="заказ")) == ["Заказ ждёт в очереди", "Секретный заказ Бориса"]
    assert len(search(operator=manager, text="заказ").messages) == 3
    assert search(operator=anna, text="Бориса").messages == []


def test_filters_narrow_the_matches(
    manager: Operator,
    online: Callable[[str], Operator],
    reason: Reason,
    shopper_writes: Callable[..., ReceivedMessage],
) -> None:
    boris = online("Boris")
    telegram = shopper_writes("7001", "Заказ не пришёл", connector="telegram").conversation
    do_operator_reply(conversation_id=telegram.pk, operator_id=boris.pk, text="Проверю ваш заказ")
    do_close(conversation_id=telegram.pk, operator_id=boris.pk, reason_id=reason.pk)
    do_rate_conversation(conversation_id=telegram.pk, connector="telegram", sender_id="7001", stars=2)
    widget = shopper_writes("v-w", "Заказ отменить", queue_slug="stylist").conversation

    def found(**filters: Any) -> set[int]:
        results = search(operator=manager, text="заказ", filters=HistoryFilters(**filters))
        return {hit.conversation_id for hit in results.messages}

    assert found() == {telegram.pk, widget.pk}
    assert found(connector="telegram") == {telegram.pk}
    assert found(reason_id=reason.pk) == {telegram.pk}
    assert found(state="queued") == {widget.pk}
    assert found(low_rating=True) == found(rating=2) == {telegram.pk}
    assert found(rating=5) == set()
    assert found(consultation=True) == {widget.pk}
    assert found(consultation=False) == {telegram.pk}
    assert found(operator_id=boris.pk) == {telegram.pk}
    today = timezone.localdate()
    assert found(date_from=today, date_to=today) == {telegram.pk, widget.pk}
    assert found(date_to=today - dt.timedelta(days=1)) == set()
    replies = search(operator=manager, text="проверю", filters=HistoryFilters(operator_id=boris.pk)).messages
    assert [(hit.author_kind, hit.author_name) for hit in replies] == [("operator", "Boris")]


@pytest.mark.parametrize("path", ["few matches", "newest-first walk"])
def test_pages_newest_first_across_months(
    manager: Operator, shopper_writes: Callable[..., ReceivedMessage], monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """Older matches come after newer ones, page by page, however far back, whichever way PostgreSQL
    is asked (the newest day then the index, or the time windows): the pieces join up."""
    if path == "newest-first walk":
        monkeypatch.setattr("search.selectors.FEW_MATCHES", -1)
    now = timezone.now()
    for n in range(25):
        message = shopper_writes(f"v-{n}", f"размер платья {n}").message
        Message.objects.filter(pk=message.pk).update(created_at=now - dt.timedelta(days=n * 30))
    first = search(operator=manager, text="платье")
    assert len(first.messages) == 20 and first.next_cursor
    from search.forms import parse_cursor

    second = search(operator=manager, text="платье", before=parse_cursor(first.next_cursor))
    assert second.next_cursor is None
    numbers = [int(text.rsplit(" ", 1)[1]) for text in texts(first) + texts(second)]
    assert numbers == list(range(25))


@pytest.mark.parametrize(
    ("path", "walk_rows", "few_matches"),
    [("newest-first walk", 10**12, 60_000), ("from the rated chats", -1, -1), ("from the word's matches", -1, 10**9)],
)
def test_a_rating_filter_pages_the_same_whichever_way(
    manager: Operator,
    online: Callable[[str], Operator],
    reason: Reason,
    shopper_writes: Callable[..., ReceivedMessage],
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    walk_rows: int,
    few_matches: int,
) -> None:
    """Low-rated chats' messages, newest first over months, page after page, and none from the
    others, by each of the three ways a rating-filtered search may be read."""
    monkeypatch.setattr("search.selectors.RATED_WALK_ROWS", walk_rows)
    monkeypatch.setattr("search.selectors.FEW_MATCHES", few_matches)
    boris = online("Boris")
    now = timezone.now()
    for n in range(24):
        sender = f"v-r{n}"
        received = shopper_writes(sender, f"Оформить возврат {n}")
        do_operator_reply(conversation_id=received.conversation.pk, operator_id=boris.pk, text="Оформлю")
        do_close(conversation_id=received.conversation.pk, operator_id=boris.pk, reason_id=reason.pk)
        do_rate_conversation(
            conversation_id=received.conversation.pk, connector="widget", sender_id=sender, stars=(1, 5)[n % 2]
        )
        Message.objects.filter(pk=received.message.pk).update(created_at=now - dt.timedelta(days=n * 20))
    low = HistoryFilters(low_rating=True)
    first = search(operator=manager, text="возврат", filters=low, limit=5)
    from search.forms import parse_cursor

    assert first.next_cursor
    rest = search(operator=manager, text="возврат", filters=low, before=parse_cursor(first.next_cursor), limit=20)
    numbers = [int(text.rsplit(" ", 1)[1]) for text in texts(first) + texts(rest)]
    assert numbers == list(range(0, 24, 2))
    assert [
        int(t.rsplit(" ", 1)[1])
        for t in texts(search(operator=manager, text="возврат", filters=HistoryFilters(rating=5)))
    ] == list(range(1, 24, 2))


def test_conversations_by_customer_name_and_reason(
    manager: Operator, online: Callable[[str], Operator], reason: Reason, shopper_writes: Callable[..., ReceivedMessage]
) -> None:
    boris = online("Boris")
    chat = shopper_writes("v-n", "Добрый день").conversation
    do_set_contact_details(connector="widget", sender_id="v-n", name="Ирина Смирнова")
    do_close(conversation_id=chat.pk, operator_id=boris.pk, reason_id=reason.pk)

    by_name = search(operator=manager, text="Смирнова").conversations
    assert [hit.conversation_id for hit in by_name] == [chat.pk]
    assert "<mark>Смирнова</mark>" in str(by_name[0].contact_name)
    assert [hit.conversation_id for hit in search(operator=manager, text="orders").conversations] == [chat.pk]
    assert search(operator=manager, text="Смирнова").messages == []


@postgres_only
def test_only_common_words_say_so(manager: Operator, shopper_writes: Callable[..., ReceivedMessage]) -> None:
    shopper_writes("v-1", "и the")
    assert connection.vendor == "postgresql"
    assert search(operator=manager, text="и the").only_stop_words


def test_the_page_and_the_api(manager: Operator, shopper_writes: Callable[..., ReceivedMessage]) -> None:
    shopper_writes("v-p", "<img src=x onerror=alert(1)> Где посылка?")
    client = Client()
    client.force_login(manager.user)

    page = client.get("/workspace/search/", {"q": "посылки"}).content.decode()
    assert "<mark>посылка</mark>" in page or "<mark>Посылка</mark>" in page.replace("посылка", "Посылка")
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page

    body = client.get("/api/search", {"q": "посылка"}).json()
    assert [hit["headline_html"].count("<mark>") for hit in body["messages"]] == [1]
    assert "&lt;img" in body["messages"][0]["headline_html"]
    assert body["next_cursor"] is None and body["only_stop_words"] is False

    refused = client.get("/api/search", {"q": "x", "from": "2026-02-02", "to": "2026-02-01"})
    assert refused.status_code == 400 and "to:" in refused.json()["error"]["message"]
    bad_page = client.get("/workspace/search/", {"q": "x", "before": "yesterday"})
    assert bad_page.status_code == 200 and "This page link is not valid" in bad_page.content.decode()


def test_bad_filters_are_named_and_nothing_breaks(
    manager: Operator, shopper_writes: Callable[..., ReceivedMessage]
) -> None:
    shopper_writes("v-p", "Где посылка?")
    client = Client()
    client.force_login(manager.user)
    page = client.get("/workspace/search/", {"q": "посылка", "queue": "abc", "operator": str(10**20), "rating": "9"})
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('<span class="error" role="alert">') == 3  # three fields named
    assert "<mark>" not in body  # and no search run
    api = client.get("/api/search", {"q": "посылка", "operator": str(10**20)})
    assert api.status_code == 422 and "operator" in api.json()["error"]["message"]
    assert client.get("/api/search", {"q": "посылка", "reason": "999999"}).status_code == 400
    nul = client.get("/workspace/search/", {"q": "посылка\x00"})
    assert nul.status_code in (200, 400) and "<mark>" not in nul.content.decode()


def test_the_page_links_to_older_results(manager: Operator, shopper_writes: Callable[..., ReceivedMessage]) -> None:
    for n in range(21):
        shopper_writes(f"v-{n}", f"Куртка мала, размер {n}")
    client = Client()
    client.force_login(manager.user)
    first = client.get("/workspace/search/", {"q": "куртка", "connector": "widget"})
    assert first.context["next_url"].startswith("?q=")
    second = client.get("/workspace/search/" + first.context["next_url"])
    shown = [hit.message_id for hit in first.context["results"].messages + second.context["results"].messages]
    assert len(shown) == len(set(shown)) == 21
    assert second.context["next_url"] == ""
