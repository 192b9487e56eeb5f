"""The conversation history: filters, keyset paging, who sees what, a manager's reopen and write-again."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import connections
from django.test import Client
from django.utils import timezone

from chat.actions import (
    InboundMessage,
    do_close,
    do_operator_reply,
    do_receive_inbound,
    do_reopen_conversation,
    do_set_operator_status,
    do_start_consultation,
    do_write_again,
)
from chat.actions.ratings import do_rate_conversation
from chat.actions.setup import do_ensure_queue
from chat.errors import AtChatLimit, Forbidden, OperatorUnavailable, WrongState
from chat.models import Conversation, ConversationState, ConversationStep, Message, Operator, Queue, Reason
from tests.workspace.conftest import csrf_headers
from workspace.history_filters import Cursor, HistoryFilters, history_page, parse_history_filters

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

DAY = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.current = DAY

    def __call__(self) -> datetime:
        return self.current


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(timezone, "now", fake)
    return fake


@dataclass
class History:
    anna: Operator
    boris: Operator
    maria: Operator  # a manager, offline
    chats: dict[str, Conversation]


def online(operator: Operator) -> Operator:
    do_set_operator_status(operator_id=operator.pk, status="online")
    operator.refresh_from_db()
    return operator


def offline(operator: Operator) -> None:
    do_set_operator_status(operator_id=operator.pk, status="offline")


def finished_chat(
    clock: Clock, sender: str, operator: Operator, reason: Reason, stars: int | None = None
) -> Conversation:
    """A shopper writes, the one online operator answers and closes a minute later each; the shopper may rate."""
    chat = do_receive_inbound(InboundMessage(connector="widget", sender_id=sender, text=f"hello from {sender}"))
    conversation = chat.conversation
    assert Conversation.objects.get(pk=conversation.pk).operator_id == operator.pk
    clock.current += timedelta(minutes=1)
    do_operator_reply(conversation_id=conversation.pk, operator_id=operator.pk, text="On it")
    clock.current += timedelta(minutes=1)
    do_close(conversation_id=conversation.pk, operator_id=operator.pk, reason_id=reason.pk)
    if stars is not None:
        clock.current += timedelta(minutes=1)
        do_rate_conversation(conversation_id=conversation.pk, connector="widget", sender_id=sender, stars=stars)
    return Conversation.objects.get(pk=conversation.pk)


@pytest.fixture
def history(clock: Clock, make_operator: Callable[..., Operator], reason: Reason, queues: dict[str, Queue]) -> History:
    """Anna's two chats on 10 March, Boris' on 11 March, a waiting Telegram chat and consultation on the 12th."""
    anna, boris = make_operator("Anna"), make_operator("Boris")
    maria = make_operator("Maria", is_manager=True)
    chats = {}
    online(anna)
    chats["anna_5"] = finished_chat(clock, "s1", anna, reason, stars=5)
    clock.current += timedelta(minutes=10)
    chats["anna_1"] = finished_chat(clock, "s2", anna, reason, stars=1)
    offline(anna)
    clock.current = DAY + timedelta(days=1)
    online(boris)
    chats["boris_2"] = finished_chat(clock, "s3", boris, reason, stars=2)
    chats["boris_active"] = do_receive_inbound(
        InboundMessage(connector="widget", sender_id="s4", text="still here")
    ).conversation
    do_set_operator_status(operator_id=boris.pk, status="away")  # keeps the chat, takes no new ones
    assert Conversation.objects.get(pk=chats["boris_active"].pk).operator_id == boris.pk
    clock.current = DAY + timedelta(days=2)
    chats["telegram_queued"] = do_receive_inbound(
        InboundMessage(connector="telegram", sender_id="777", text="are you there?", external_id="777:1")
    ).conversation
    chats["consultation"] = do_start_consultation(connector="widget", sender_id="s6").conversation
    return History(
        anna=anna, boris=boris, maria=maria, chats={k: Conversation.objects.get(pk=v.pk) for k, v in chats.items()}
    )


def listed(viewer: Operator, **params: str) -> list[int]:
    page = history_page(operator=viewer, filters=parse_history_filters(params), limit=200)
    return [c.pk for c in page.conversations]


def test_each_filter_narrows_the_list_to_what_it_names(
    history: History, reason: Reason, queues: dict[str, Queue]
) -> None:
    c, maria = history.chats, history.maria
    everything = [c[k].pk for k in ("consultation", "telegram_queued", "boris_active", "boris_2", "anna_1", "anna_5")]
    assert listed(maria) == everything  # newest first
    assert listed(maria, connector="telegram") == [c["telegram_queued"].pk]
    assert listed(maria, queue=str(queues["stylist"].pk)) == [c["consultation"].pk]
    assert listed(maria, consultation="1") == [c["consultation"].pk]
    assert listed(maria, operator=str(history.anna.pk)) == [c["anna_1"].pk, c["anna_5"].pk]
    assert listed(maria, state="active") == [c["boris_active"].pk]
    assert listed(maria, state="queued") == [c["consultation"].pk, c["telegram_queued"].pk]
    assert listed(maria, reason=str(reason.pk)) == [c["boris_2"].pk, c["anna_1"].pk, c["anna_5"].pk]
    assert listed(maria, rating="5") == [c["anna_5"].pk]
    assert listed(maria, low_rating="1") == [c["boris_2"].pk, c["anna_1"].pk]
    assert listed(maria, **{"from": "2026-03-11", "to": "2026-03-11"}) == [c["boris_active"].pk, c["boris_2"].pk]
    assert listed(maria, **{"to": "2026-03-10"}) == [c["anna_1"].pk, c["anna_5"].pk]
    assert listed(maria, operator=str(history.anna.pk), rating="1") == [c["anna_1"].pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"connector": "fax"}, "connector"),
        ({"queue": "general"}, "queue"),
        ({"operator": "-1"}, "operator"),
        ({"state": "open"}, "state"),
        ({"rating": "6"}, "rating"),
        ({"low_rating": "maybe"}, "low_rating"),
        ({"from": "2026-02-30"}, "from"),
        ({"from": "2026-03-12", "to": "2026-03-10"}, "to"),
        ({"reason": "9" * 30}, "reason"),
    ],
)
def test_a_bad_filter_is_refused_naming_its_field(
    history: History, client_for: Callable[..., Client], params: dict[str, str], field: str
) -> None:
    client = client_for(history.maria)
    page = client.get("/workspace/history/", params)
    assert page.status_code == 200
    assert f"{field}:" in page.content.decode()
    assert 'role="alert"' in page.content.decode()
    api = client.get("/api/history/conversations", params)
    assert api.status_code in (400, 422), api.content
    assert field in api.json()["error"]["message"]


def test_keyset_pages_walk_every_row_once_through_ties_and_arrivals(
    clock: Clock, make_operator: Callable[..., Operator], queues: dict[str, Queue], client_for: Callable[..., Client]
) -> None:
    maria = make_operator("Maria", is_manager=True)
    # Seven chats, the middle five opened at the very same microsecond: only the id tells them apart.
    ids = []
    for n in range(7):
        clock.current = DAY + timedelta(seconds=0 if 1 <= n <= 5 else n * 10)
        ids.append(do_receive_inbound(InboundMessage(connector="widget", sender_id=f"t{n}", text="hi")).conversation.pk)
    expected = sorted(ids, key=lambda pk: (Conversation.objects.get(pk=pk).created_at, pk), reverse=True)
    client = client_for(maria)
    seen: list[int] = []
    cursor = None
    arrivals = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/api/history/conversations", params).json()
        seen += [row["id"] for row in body["conversations"]]
        # A new chat arrives between pages: it sorts before the first page, never into the walk.
        clock.current = DAY + timedelta(hours=1, seconds=arrivals)
        do_receive_inbound(InboundMessage(connector="widget", sender_id=f"new{arrivals}", text="hi"))
        arrivals += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert arrivals == 4


def test_a_forged_cursor_is_refused_not_a_500(history: History, client_for: Callable[..., Client]) -> None:
    client = client_for(history.maria)
    for cursor in ("not-a-cursor", Cursor(DAY, 1).encode()[:-3] + "!!!", "A" * 100):
        response = client.get("/api/history/conversations", {"cursor": cursor})
        assert response.status_code in (400, 422), (cursor, response.content)
        assert "cursor" in response.json()["error"]["message"]
    page = client.get("/workspace/history/", {"cursor": "garbage"})
    assert page.status_code == 200 and "cursor:" in page.content.decode()


def test_operators_see_their_own_and_the_queue_managers_everything(
    history: History, client_for: Callable[..., Client]
) -> None:
    c = history.chats
    anna_sees = set(listed(history.anna))
    assert anna_sees == {c["anna_5"].pk, c["anna_1"].pk, c["telegram_queued"].pk, c["consultation"].pk}
    assert c["boris_2"].pk not in anna_sees and c["boris_active"].pk not in anna_sees
    anna = client_for(history.anna)
    # Operator A cannot open B's chats, active or closed, on the page or through the API.
    for chat in (c["boris_active"], c["boris_2"]):
        assert anna.get(f"/workspace/history/{chat.pk}/").status_code == 403
        assert "still here" not in anna.get(f"/workspace/history/{chat.pk}/").content.decode()
        assert anna.get(f"/api/history/conversations/{chat.pk}").status_code == 403
    assert anna.get("/workspace/history/999999/").status_code == 404
    own = anna.get(f"/workspace/history/{c['anna_5'].pk}/")
    assert own.status_code == 200 and "hello from s1" in own.content.decode()
    listing = anna.get("/workspace/history/").content.decode()
    assert f'data-conversation-id="{c["boris_2"].pk}"' not in listing
    assert f'data-conversation-id="{c["anna_1"].pk}"' in listing
    maria = client_for(history.maria)
    assert maria.get(f"/workspace/history/{c['boris_active'].pk}/").status_code == 200
    assert {row["id"] for row in maria.get("/api/history/conversations").json()["conversations"]} == {
        chat.pk for chat in c.values()
    }


def test_the_transcript_shows_steps_in_time_and_anchors_every_message(
    history: History, client_for: Callable[..., Client]
) -> None:
    chat = history.chats["anna_1"]
    page = client_for(history.anna).get(f"/workspace/history/{chat.pk}/").content.decode()
    order = [
        "Queued in General.",
        "Assigned to Anna.",
        "hello from s2",
        "On it",
        "Closed.",
        "Rated 1 of 5.",
    ]
    positions = [page.index(text) for text in order]
    assert positions == sorted(positions)
    assert "Anna closed the chat." in page  # the line the shopper saw
    for message in Message.objects.filter(conversation=chat):
        assert f'id="message-{message.pk}"' in page
    api = client_for(history.anna).get(f"/api/history/conversations/{chat.pk}").json()
    assert [s["kind"] for s in api["steps"]] == ["created", "queued", "assigned", "closed"]
    assert api["rating"]["stars"] == 1 and api["conversation"]["rating_stars"] == 1
    assert [m["text"] for m in api["messages"]][:2] == ["hello from s2", "On it"]


def test_a_shoppers_markup_is_shown_as_text_in_the_transcript(
    make_operator: Callable[..., Operator], queues: dict[str, Queue], client_for: Callable[..., Client]
) -> None:
    maria = make_operator("Maria", is_manager=True)
    evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    chat = do_receive_inbound(InboundMessage(connector="widget", sender_id="x", text=evil)).conversation
    page = client_for(maria).get(f"/workspace/history/{chat.pk}/").content.decode()
    assert evil not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page


# --- A manager goes back to a customer ------------------------------------------------------------


def test_a_manager_reopens_a_closed_chat_as_theirs(history: History) -> None:
    chat = history.chats["anna_1"]
    maria = online(history.maria)
    holding = maria.active_count  # she took the waiting Telegram chat on going online
    do_reopen_conversation(conversation_id=chat.pk, operator_id=maria.pk)
    chat.refresh_from_db()
    maria.refresh_from_db()
    assert (chat.state, chat.operator_id, chat.closed_at, chat.reason_id) == ("active", maria.pk, None, None)
    assert maria.active_count == holding + 1
    step = ConversationStep.objects.filter(conversation=chat).order_by("-id").first()
    assert step is not None and (step.kind, step.operator_id, step.note) == ("assigned", maria.pk, "reopened")
    assert Message.objects.filter(conversation=chat, text="Maria reopened the chat.").exists()
    # The customer's next message lands in it, not in a new chat.
    received = do_receive_inbound(InboundMessage(connector="widget", sender_id="s2", text="thanks"))
    assert received.conversation.pk == chat.pk


def test_reopen_and_write_again_are_refused_at_the_cap_and_write_nothing(
    history: History, make_operator: Callable[..., Operator], queues: dict[str, Queue]
) -> None:
    maria = online(make_operator("Mila", is_manager=True, cap=1))
    assert maria.active_count == 1  # the waiting Telegram chat: she is at her cap
    chat = history.chats["anna_5"]
    before = (Conversation.objects.count(), Message.objects.count(), ConversationStep.objects.count())
    with pytest.raises(AtChatLimit, match=r"chat limit \(1\)"):
        do_reopen_conversation(conversation_id=chat.pk, operator_id=maria.pk)
    with pytest.raises(AtChatLimit):
        do_write_again(conversation_id=chat.pk, operator_id=maria.pk, text="Hello again")
    assert (Conversation.objects.count(), Message.objects.count(), ConversationStep.objects.count()) == before
    assert Conversation.objects.get(pk=chat.pk).state == ConversationState.CLOSED
    maria.refresh_from_db()
    assert maria.active_count == 1


def test_reopen_is_refused_to_operators_offline_managers_open_chats_and_open_customers(history: History) -> None:
    c = history.chats
    with pytest.raises(Forbidden):
        do_reopen_conversation(conversation_id=c["anna_1"].pk, operator_id=online(history.anna).pk)
    with pytest.raises(OperatorUnavailable, match="Go online"):
        do_reopen_conversation(conversation_id=c["anna_1"].pk, operator_id=history.maria.pk)
    maria = online(history.maria)
    with pytest.raises(WrongState, match="Only a closed"):
        do_reopen_conversation(conversation_id=c["boris_active"].pk, operator_id=maria.pk)
    # The customer wrote again meanwhile: answer in that chat, do not open a second one.
    newer = do_receive_inbound(InboundMessage(connector="widget", sender_id="s1", text="me again")).conversation
    with pytest.raises(WrongState, match=f"#{newer.pk}"):
        do_write_again(conversation_id=c["anna_5"].pk, operator_id=maria.pk, text="Hello")


def test_write_again_opens_a_linked_chat_assigned_to_the_manager(
    history: History, client_for: Callable[..., Client]
) -> None:
    old = history.chats["boris_2"]
    maria = online(history.maria)
    client = client_for(maria)
    response = client.post(
        f"/api/history/conversations/{old.pk}/write-again",
        json.dumps({"text": "Your size is back in stock."}),
        content_type="application/json",
        headers=csrf_headers(client),
    )
    assert response.status_code == 201, response.content
    message = Message.objects.get(pk=response.json()["id"])
    new = message.conversation
    assert (new.previous_id, new.state, new.operator_id, new.contact_id) == (old.pk, "active", maria.pk, old.contact_id)
    assert (message.author_id, message.text, message.delivery_state) == (
        maria.pk,
        "Your size is back in stock.",
        "sent",
    )
    transcript = client.get(f"/workspace/history/{old.pk}/").content.decode()
    assert f"/workspace/history/{new.pk}/" in transcript  # the later conversation is linked
    assert f"/workspace/history/{old.pk}/" in client.get(f"/workspace/history/{new.pk}/").content.decode()


def test_the_page_forms_reopen_for_managers_only(history: History, client_for: Callable[..., Client]) -> None:
    chat = history.chats["anna_5"]
    anna = client_for(online(history.anna))
    assert anna.post(f"/workspace/history/{chat.pk}/reopen/", headers=csrf_headers(anna)).status_code == 403
    assert "Reopen the chat" not in anna.get(f"/workspace/history/{chat.pk}/").content.decode()
    offline(history.anna)
    maria = client_for(online(history.maria))
    assert "Reopen the chat" in maria.get(f"/workspace/history/{chat.pk}/").content.decode()
    assert maria.get(f"/workspace/history/{chat.pk}/reopen/").status_code == 405
    response = maria.post(f"/workspace/history/{chat.pk}/reopen/", headers=csrf_headers(maria), follow=True)
    assert "The chat is open again and yours" in response.content.decode()
    assert Conversation.objects.get(pk=chat.pk).operator_id == history.maria.pk
    again = maria.post(f"/workspace/history/{chat.pk}/reopen/", headers=csrf_headers(maria), follow=True)
    assert "Only a closed conversation" in again.content.decode()


def test_filters_dataclass_round_trips_its_query_parameters() -> None:
    queue = do_ensure_queue(slug="returns", name="Returns", skill_slug="returns", skill_name="Returns")
    filters = parse_history_filters(
        {
            "connector": "vk",
            "rating": "2",
            "low_rating": "1",
            "from": "2026-03-01",
            "to": "2026-03-31",
            "queue": str(queue.pk),
            "consultation": "0",
        }
    )
    assert parse_history_filters(filters.as_params()) == filters
    assert HistoryFilters().is_empty() and not filters.is_empty()
    assert not HistoryFilters(consultation=False).is_empty()


def test_a_filter_naming_a_row_that_does_not_exist_is_refused(
    history: History, client_for: Callable[..., Client]
) -> None:
    """Before, an unknown queue listed nothing and said nothing; search named it: now both do."""
    client = client_for(history.maria)
    page = client.get("/workspace/history/", {"queue": "999999"})
    assert "queue:" in page.content.decode() and 'role="alert"' in page.content.decode()
    assert client.get("/api/history/conversations", {"reason": "999999"}).status_code == 400


def test_no_consultations_leaves_them_out(history: History, client_for: Callable[..., Client]) -> None:
    c = history.chats
    client = client_for(history.maria)
    page = client.get("/workspace/history/", {"consultation": "0"})
    shown = {row.pk for row in page.context["page"].conversations}
    assert c["consultation"].pk not in shown and c["anna_1"].pk in shown


async def test_the_export_streams_as_an_async_body_under_asgi(history: History) -> None:
    """Under daphne a plain iterator would be read whole into memory first: the body pulls chunks."""
    from django.test import AsyncClient

    client = AsyncClient()
    await client.aforce_login(history.maria.user)
    answer = await client.get("/workspace/history/export/messages.jsonl", {"from": "2026-03-10", "to": "2026-03-12"})
    assert answer.status_code == 200
    response: Any = answer  # a StreamingHttpResponse
    assert response.streaming and response.is_async
    body = b"".join([chunk async for chunk in response.streaming_content])
    await database_sync_to_async(connections.close_all)()  # the database thread's connection
    texts = [json.loads(line)["text"] for line in body.decode().splitlines()]
    assert "hello from s1" in texts and "are you there?" in texts


def test_the_write_again_form_sends_and_opens_the_new_transcript(
    history: History, client_for: Callable[..., Client]
) -> None:
    old = history.chats["anna_1"]
    maria = client_for(online(history.maria))
    empty = maria.post(
        f"/workspace/history/{old.pk}/write-again/", {"text": "  "}, headers=csrf_headers(maria), follow=True
    )
    assert "The message is empty." in empty.content.decode()
    assert not Conversation.objects.filter(previous=old).exists()
    sent = maria.post(
        f"/workspace/history/{old.pk}/write-again/",
        {"text": "We found <your> parcel"},
        headers=csrf_headers(maria),
        follow=True,
    )
    new = Conversation.objects.get(previous=old)
    assert sent.redirect_chain[-1][0] == f"/workspace/history/{new.pk}/"
    page = sent.content.decode()
    assert "Sent. The new chat is yours" in page and "We found &lt;your&gt; parcel" in page
    assert "A manager wrote to the customer again." in page
