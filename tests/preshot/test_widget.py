"""The widget's pre-shot endpoints: a signed-in shopper's order stage and questions (exactly the shop
API's), the answer opened, "Still need help" opening a chat about the order, the notices consent,
and clear refusals of bad input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from chat.actions import do_merge_contacts
from chat.models import Contact, Conversation, Identity, Message, Operator
from connectors.widget.signing import issue_token, sign_customer
from orders.actions import do_create_shop_api_key, do_upsert_batch
from orders.models import ConversationOrder, Order
from orders.schemas import BatchIn
from preshot.models import EventKind, NoticeConsent, SuggestionEvent

pytestmark = [pytest.mark.django_db, pytest.mark.embedded, pytest.mark.usefixtures("articles", "queues")]

API = "/connectors/widget/preshot/"


@pytest.fixture(autouse=True)
def shop_secret(settings: Any) -> None:
    settings.WIDGET_CUSTOMER_SECRET = "shared-with-the-shop"


def signed_in(customer_id: str = "C-1", name: str = "Anna", email: str = "anna@example.com") -> str:
    """The widget's session for a shop's signed-in customer: their visitor token."""
    customer = {"id": customer_id, "name": name, "email": email, "signature": sign_customer(customer_id, name, email)}
    response = Client().post("/connectors/widget/session/", {"customer": customer}, content_type="application/json")
    assert response.status_code == 200
    token: str = response.json()["token"]
    return token


def order_for(customer_id: str, status: str, days: int, number: str = "1042", **fields: Any) -> Order:
    """An order of the shop's customer pushed through the shop API's path (it links to the signed-in
    contact), placed ``days`` ago, its current status begun then too."""
    at = (timezone.now() - timedelta(days=days, hours=1)).isoformat()
    stage = {"paid": "paid_at", "shipped": "shipped_at", "delivered": "delivered_at"}.get(status)
    row = {"number": number, "status": status, "customer_id": customer_id, "placed_at": at, **fields}
    if stage:
        row[stage] = at
    do_upsert_batch(BatchIn.model_validate({"customers": [{"id": customer_id}], "orders": [row]}))
    return Order.objects.get(number=number)


def stage(token: str, lang: str = "en") -> Any:
    return Client().get(API, {"token": token, "lang": lang})


def post(path: str, body: dict[str, Any]) -> Any:
    return Client().post(API + path, body, content_type="application/json")


def shop_api(number: str, lang: str) -> Any:
    key = do_create_shop_api_key(name="Test shop")[1]
    response = Client(headers={"Authorization": f"Bearer {key}"}).get(
        f"/api/shop/v1/orders/{number}/suggestions", {"lang": lang}
    )
    assert response.status_code == 200
    return response.json()


PAYMENT, MISSING = "My payment did not go through", "An item is missing from my parcel"


def questions(body: dict[str, Any]) -> list[str]:
    return [s["question"] for s in body["suggestions"]]


def test_a_shopper_without_an_order_gets_no_stage_and_nothing_is_logged() -> None:
    for token in (signed_in(), issue_token("anonymous-visitor")):
        response = stage(token)
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == "*"
        assert response.json() == {"order": None, "language": "en", "suggestions": []}
    assert not SuggestionEvent.objects.exists()


@pytest.mark.parametrize(
    ("status", "days", "lang", "expected"),
    [
        ("placed", 0, "en", [PAYMENT, "Can I change the delivery address?", "How do I cancel my order?"]),
        ("shipped", 2, "en", ["Where is my parcel?", "When will it be delivered?"]),
        ("shipped", 2, "ru", ["Где моя посылка?", "Когда доставят?"]),
        ("shipped", 9, "ru", ["Посылка задерживается", "Поговорить о задержке посылки"]),
        ("delivered", 1, "en", [MISSING, "An item arrived damaged", "How do I return an item?"]),
    ],
)
def test_an_order_at_each_stage_shows_exactly_the_shop_apis_suggestions(
    status: str, days: int, lang: str, expected: list[str]
) -> None:
    token = signed_in()  # signing in links the shop's orders of this customer id to the contact
    order_for("C-1", status, days, tracking_url="https://carrier.example/t/1042")
    order_for("C-1", "delivered", 200, number="0999")  # an older, finished one: not the likeliest
    body = stage(token, lang).json()
    assert body == shop_api("1042", lang)
    assert body["order"]["number"] == "1042" and body["language"] == lang
    assert questions(body) == expected
    # What was shown is logged as the bots log it, on the widget's channel.
    shown = SuggestionEvent.objects.filter(kind=EventKind.SHOWN)
    keys = sorted(s["answer"]["key"] for s in body["suggestions"])
    assert sorted(shown.values_list("article_key", flat=True)) == keys
    assert set(shown.values_list("channel", "language", "order__number")) == {("widget", lang, "1042")}


@pytest.mark.parametrize(
    ("lang", "label", "action"), [("en", "Shipped", "Track the parcel"), ("ru", "Отправлен", "Отследить посылку")]
)
def test_the_stage_and_the_actions_are_in_the_shoppers_language(lang: str, label: str, action: str) -> None:
    token = signed_in()
    order_for("C-1", "shipped", 2, tracking_url="https://carrier.example/t/1042")
    body = stage(token, lang).json()
    assert body["order"]["status_label"] == label
    assert body["suggestions"][0]["action"] == {
        "kind": "track",
        "label": action,
        "url": "https://carrier.example/t/1042",
    }
    assert body["suggestions"][0]["answer"]["url"].startswith(f"http://testserver/help/{lang}/")


def test_the_orders_of_a_contact_merged_with_the_shopper_are_theirs(make_operator: Callable[..., Operator]) -> None:
    token = signed_in()
    telegram = Contact.objects.create(name="Anna on Telegram")
    Identity.objects.create(contact=telegram, connector="telegram", external_id="555")
    Order.objects.create(
        number="T-7", status="shipped", contact=telegram, placed_at=timezone.now() - timedelta(days=1),
        shipped_at=timezone.now() - timedelta(days=1), status_changed_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    assert stage(token).json()["order"] is None
    widget_contact = Identity.objects.get(connector="widget", external_id="customer:C-1").contact
    do_merge_contacts(
        source_id=widget_contact.pk, target_id=telegram.pk, operator_id=make_operator("Boris", is_manager=True).pk
    )
    assert stage(token).json()["order"]["number"] == "T-7"


def test_another_shoppers_order_is_not_found() -> None:
    mine, theirs = signed_in("C-1"), signed_in("C-2", "Boris", "boris@example.com")
    order_for("C-1", "shipped", 2)
    rule_id = stage(mine).json()["suggestions"][0]["rule_id"]
    for path, body in [
        ("opened/", {"order": "1042", "rule_id": rule_id}),
        ("help/", {"order": "1042", "rule_id": rule_id, "client_id": "x1"}),
        ("notices/", {"order": "1042"}),
    ]:
        response = post(path, {"token": theirs, **body})
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found", path
    assert not Conversation.objects.exists() and not NoticeConsent.objects.exists()


def test_opening_an_answer_is_logged_and_answers_the_suggestion() -> None:
    token = signed_in()
    order_for("C-1", "shipped", 2, tracking_url="https://carrier.example/t/1042")
    first = stage(token, "ru").json()["suggestions"][0]
    response = post("opened/", {"token": token, "order": "1042", "rule_id": first["rule_id"], "lang": "ru"})
    assert response.status_code == 200 and response.json() == first
    opened = SuggestionEvent.objects.get(kind=EventKind.OPENED)
    assert (opened.article_key, opened.channel, opened.language, opened.rule_id) == (
        "track-order", "widget", "ru", first["rule_id"],
    )  # fmt: skip


def test_still_need_help_opens_a_chat_about_the_order_with_the_question_once() -> None:
    token = signed_in()
    order = order_for("C-1", "shipped", 2)
    first = stage(token, "ru").json()["suggestions"][0]
    body = {"token": token, "order": "1042", "rule_id": first["rule_id"], "lang": "ru", "client_id": "press-1"}
    response = post("help/", body)
    assert response.status_code == 201
    conversation = Conversation.objects.get(pk=response.json()["conversation_id"])
    assert conversation.contact.identities.filter(connector="widget", external_id="customer:C-1").exists()
    assert list(Message.objects.filter(conversation=conversation).values_list("text", flat=True)) == [
        "Всё ещё нужна помощь по заказу 1042: Где моя посылка?"
    ]
    about = ConversationOrder.objects.get(conversation=conversation)
    assert (about.order_id, about.chosen_by) == (order.pk, "shopper")
    assert SuggestionEvent.objects.filter(kind=EventKind.STILL_NEED_HELP, channel="widget").count() == 1

    # The same press again (a retry, a double tap): nothing new.
    assert post("help/", body).json()["conversation_id"] == conversation.pk
    assert Message.objects.count() == 1
    assert SuggestionEvent.objects.filter(kind=EventKind.STILL_NEED_HELP).count() == 1


def test_the_notices_consent_is_recorded_for_the_widget_and_shown_as_given() -> None:
    token = signed_in()
    order = order_for("C-1", "shipped", 2)
    assert Client().get(API + "notices/", {"token": token}).json() == {"connector": "widget", "agreed": False}
    response = post("notices/", {"token": token, "order": "1042"})
    assert response.status_code == 201 and response.json() == {"connector": "widget", "agreed": True}
    assert post("notices/", {"token": token, "order": "1042"}).status_code == 201  # twice: still one
    assert list(NoticeConsent.objects.values_list("contact_id", "connector")) == [(order.contact_id, "widget")]
    assert Client().get(API + "notices/", {"token": token}).json()["agreed"] is True


def test_a_shopper_withdraws_the_notices_consent_and_a_bad_answer_is_named() -> None:
    token = signed_in()
    order_for("C-1", "shipped", 2)
    post("notices/", {"token": token, "order": "1042"})
    refused = post("notices/", {"token": token, "agreed": "no"})
    assert refused.status_code == 400 and "agreed" in refused.json()["error"]["message"]
    assert NoticeConsent.objects.count() == 1
    response = post("notices/", {"token": token, "agreed": False})
    assert response.status_code == 200 and response.json() == {"connector": "widget", "agreed": False}
    assert not NoticeConsent.objects.exists()
    assert Client().get(API + "notices/", {"token": token}).json()["agreed"] is False


# Named ids: a signed token differs from one process to the next, and xdist's workers must agree.
@pytest.mark.parametrize(
    "token", ["", "forged.token:value", issue_token("someone")[:-3] + "abc"], ids=["empty", "forged", "tampered"]
)
def test_a_bad_token_is_refused_everywhere(token: str) -> None:
    order_for("C-1", "shipped", 2)
    assert stage(token).status_code == 403 and stage(token).json()["error"]["code"] == "invalid_token"
    for path in ("opened/", "help/", "notices/"):
        response = post(path, {"token": token, "order": "1042", "rule_id": 1, "client_id": "x"})
        assert response.status_code == 403 and response.json()["error"]["code"] == "invalid_token", path
    assert not SuggestionEvent.objects.exists() and not Conversation.objects.exists()


@pytest.mark.parametrize("lang", ["de", "EN", "ru-RU", "<script>"])
def test_a_bad_language_is_named(lang: str) -> None:
    token = signed_in()
    order_for("C-1", "shipped", 2)
    response = stage(token, lang)
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "invalid_input", "message": "lang must be one of: en, ru."}
    help_response = post("help/", {"token": token, "order": "1042", "rule_id": None, "lang": lang, "client_id": "x"})
    assert help_response.status_code == 400 and "lang" in help_response.json()["error"]["message"]
    assert not SuggestionEvent.objects.exists() and not Conversation.objects.exists()


@pytest.mark.parametrize(
    ("path", "body", "word"),
    [
        ("opened/", {"order": 1042, "rule_id": 1}, "order"),
        ("opened/", {"order": "1042", "rule_id": "1"}, "rule_id"),
        ("opened/", {"order": "1042", "rule_id": True}, "rule_id"),
        ("help/", {"order": "1042", "rule_id": None}, "client_id"),
        ("help/", {"order": "1042", "rule_id": None, "client_id": "x" * 65}, "client_id"),
    ],
)
def test_malformed_fields_are_named_and_nothing_stored(path: str, body: dict[str, Any], word: str) -> None:
    token = signed_in()
    order_for("C-1", "shipped", 2)
    response = post(path, {"token": token, **body})
    assert response.status_code == 400 and word in response.json()["error"]["message"]
    assert not SuggestionEvent.objects.exists() and not Conversation.objects.exists()


def test_a_question_the_order_no_longer_has_is_not_found() -> None:
    token = signed_in()
    order = order_for("C-1", "shipped", 2)
    rule_id = stage(token).json()["suggestions"][0]["rule_id"]
    Order.objects.filter(pk=order.pk).update(status="delivered")
    response = post("opened/", {"token": token, "order": "1042", "rule_id": rule_id})
    assert response.status_code == 404
    assert not SuggestionEvent.objects.filter(kind=EventKind.OPENED).exists()
