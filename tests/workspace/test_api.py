"""The workspace JSON API: each endpoint, who may see what, one error shape, the served schema."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from chat.actions import do_mark_delivery, do_set_operator_status
from chat.actions.setup import do_ensure_canned_reply
from chat.models import Conversation, ConversationState, Message, Operator, Queue, Reason
from tests.workspace.conftest import csrf_headers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


def assigned(received: Any) -> Conversation:
    """The conversation as stored now: assignment runs after the shopper's message commits."""
    return Conversation.objects.get(pk=received.conversation.pk)


def post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json", headers=csrf_headers(client))


@pytest.fixture
def anna(make_operator: Callable[..., Operator]) -> Operator:
    operator = make_operator("Anna")
    do_set_operator_status(operator_id=operator.pk, status="online")
    return operator


@pytest.fixture
def boris(make_operator: Callable[..., Operator]) -> Operator:
    operator = make_operator("Boris")
    do_set_operator_status(operator_id=operator.pk, status="online")
    return operator


@pytest.fixture
def manager(make_operator: Callable[..., Operator]) -> Operator:
    return make_operator("Maria", is_manager=True, skills=("general", "stylist"))


def test_anonymous_gets_401_in_the_error_shape(db: None) -> None:
    response = Client().get("/api/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_a_user_who_is_not_an_operator_is_refused(django_user_model: Any) -> None:
    user = django_user_model.objects.create_user(username="shopkeeper", password="pw-123456")
    client = Client()
    client.force_login(user)
    assert client.get("/api/me").status_code == 401


def test_me_and_status_switch(anna: Operator, client_for: Callable[..., Client]) -> None:
    client = client_for(anna)
    me = client.get("/api/me").json()
    assert me["name"] == "Anna"
    assert me["status"] == "online"
    response = post(client, "/api/me/status", {"status": "away"})
    assert response.status_code == 200
    assert response.json()["status"] == "away"
    anna.refresh_from_db()
    assert anna.status == "away"


def test_status_outside_the_list_is_422_with_the_error_shape(anna: Operator, client_for: Callable[..., Client]) -> None:
    response = post(client_for(anna), "/api/me/status", {"status": "sleeping"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


def test_writes_without_csrf_token_are_refused(anna: Operator, client_for: Callable[..., Client]) -> None:
    client = client_for(anna)
    response = client.post("/api/me/status", json.dumps({"status": "away"}), content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    anna.refresh_from_db()
    assert anna.status == "online"


def test_going_offline_returns_chats_to_the_queue(
    anna: Operator, shopper_writes: Callable[..., Any], client_for: Callable[..., Client]
) -> None:
    received = shopper_writes("v-1")
    body = post(client_for(anna), "/api/me/status", {"status": "offline"}).json()
    assert body["requeued_conversation_ids"] == [received.conversation.pk]


def test_my_conversations_and_the_queue(
    anna: Operator, shopper_writes: Callable[..., Any], client_for: Callable[..., Client]
) -> None:
    mine = [shopper_writes(f"v-{n}").conversation.pk for n in range(5)]
    client = client_for(anna)
    active = client.get("/api/conversations").json()
    assert [c["id"] for c in active] == mine[:4]
    assert all(c["operator"]["id"] == anna.pk for c in active)
    queue = client.get("/api/queue").json()
    assert [item["conversation"]["id"] for item in queue] == [mine[4]]
    assert queue[0]["position"] == 1
    assert queue[0]["waiting_seconds"] >= 0
    assert queue[0]["conversation"]["queued_at"]


def test_an_operator_does_not_see_another_operators_chats(
    anna: Operator, boris: Operator, shopper_writes: Callable[..., Any], client_for: Callable[..., Client]
) -> None:
    first = assigned(shopper_writes("v-1"))
    second = assigned(shopper_writes("v-2"))
    annas = first if first.operator_id == anna.pk else second
    boriss = second if annas is first else first
    client = client_for(anna)
    assert [c["id"] for c in client.get("/api/conversations").json()] == [annas.pk]
    response = client.get(f"/api/conversations/{boriss.pk}")
    assert response.status_code == 403
    assert response.json() == {"error": {"code": "forbidden", "message": "This is not your conversation."}}
    assert client.get(f"/api/contacts/{boriss.contact_id}").status_code == 403


def test_a_manager_sees_everyones_chats(
    anna: Operator, manager: Operator, shopper_writes: Callable[..., Any], client_for: Callable[..., Client]
) -> None:
    conversation = shopper_writes("v-1").conversation
    client = client_for(manager)
    assert client.get("/api/conversations").json() == []
    assert [c["id"] for c in client.get("/api/conversations?everyone=true").json()] == [conversation.pk]
    assert client.get(f"/api/conversations/{conversation.pk}").status_code == 200
    assert client.get(f"/api/contacts/{conversation.contact_id}").status_code == 200


def test_conversation_messages_are_paginated_by_id(
    anna: Operator, shopper_writes: Callable[..., Any], client_for: Callable[..., Client]
) -> None:
    for n in range(7):
        conversation = shopper_writes("v-1", f"message {n}").conversation
    client = client_for(anna)
    page = client.get(f"/api/conversations/{conversation.pk}?limit=3").json()
    assert [m["text"] for m in page["messages"]] == ["message 4", "message 5", "message 6"]
    assert page["has_more"] is True
    older = client.get(f"/api/conversations/{conversation.pk}?limit=3&before_id={page['messages'][0]['id']}").json()
    assert [m["text"] for m in older["messages"]] == ["message 1", "message 2", "message 3"]
    newer = client.get(f"/api/conversations/{conversation.pk}?after_id={older['messages'][-1]['id']}").json()
    assert [m["text"] for m in newer["messages"]] == ["message 4", "message 5", "message 6"]
    assert newer["has_more"] is False


def test_unknown_conversation_is_404_in_the_error_shape(anna: Operator, client_for: Callable[..., Client]) -> None:
    response = client_for(anna).get("/api/conversations/999999")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_reply_and_note_are_stored_exactly(
    anna: Operator, shopper_writes: Callable[..., Any], client_for: Callable[..., Client]
) -> None:
    conversation = shopper_writes("v-1").conversation
    client = client_for(anna)
    text = "<b>Hello</b> **there**\n<script>alert(1)</script>"
    reply = post(client, f"/api/conversations/{conversation.pk}/messages", {"text": text})
    assert reply.status_code == 201
    assert reply.json()["text"] == text
    assert reply.json()["is_note"] is False
    note = post(client, f"/api/conversations/{conversation.pk}/messages", {"text": "VIP", "is_note": True})
    assert note.json()["is_note"] is True
    operator_messages = Message.objects.filter(conversation=conversation, author_kind="operator")
    stored = list(operator_messages.values_list("text", "is_note"))
    assert stored == [(text, False), ("VIP", True)]


def test_an_empty_or_oversized_reply_is_refused_and_nothing_stored(
    anna: Operator, shopper_writes: Callable[..., Any], client_for: Callable[..., Client]
) -> None:
    conversation = shopper_writes("v-1").conversation
    client = client_for(anna)
    for text in ["   ", "x" * 4097]:
        response = post(client, f"/api/conversations/{conversation.pk}/messages", {"text": text})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_input"
    assert not Message.objects.filter(conversation=conversation, author_kind="operator").exists()


def test_replying_in_someone_elses_chat_is_forbidden(
    anna: Operator, boris: Operator, shopper_writes: Callable[..., Any], client_for: Callable[..., Client]
) -> None:
    conversation = assigned(shopper_writes("v-1"))
    other = boris if conversation.operator_id == anna.pk else anna
    response = post(client_for(other), f"/api/conversations/{conversation.pk}/messages", {"text": "hi"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_transfer_to_an_operator_and_to_a_queue(
    anna: Operator,
    make_operator: Callable[..., Operator],
    queues: dict[str, Queue],
    shopper_writes: Callable[..., Any],
    client_for: Callable[..., Client],
) -> None:
    conversation = assigned(shopper_writes("v-1"))
    assert conversation.operator_id == anna.pk
    boris = make_operator("Boris")
    do_set_operator_status(operator_id=boris.pk, status="online")
    moved = post(client_for(anna), f"/api/conversations/{conversation.pk}/transfer", {"operator_id": boris.pk})
    assert moved.status_code == 200
    assert moved.json()["operator"]["id"] == boris.pk
    to_queue = post(
        client_for(boris), f"/api/conversations/{conversation.pk}/transfer", {"queue_id": queues["stylist"].pk}
    )
    assert to_queue.status_code == 200
    assert to_queue.json()["queue"]["slug"] == "stylist"
    assert to_queue.json()["state"] == "queued"


def test_transfer_needs_exactly_one_target(
    anna: Operator, shopper_writes: Callable[..., Any], client_for: Callable[..., Client]
) -> None:
    conversation = shopper_writes("v-1").conversation
    response = post(client_for(anna), f"/api/conversations/{conversation.pk}/transfer", {})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_close_requires_a_reason_from_the_list(
    anna: Operator, reason: Reason, shopper_writes: Callable[..., Any], client_for: Callable[..., Client]
) -> None:
    conversation = shopper_writes("v-1").conversation
    client = client_for(anna)
    missing = post(client, f"/api/conversations/{conversation.pk}/close", {})
    assert missing.status_code == 422
    unknown = post(client, f"/api/conversations/{conversation.pk}/close", {"reason_id": 999999})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "invalid_reason"
    closed = post(client, f"/api/conversations/{conversation.pk}/close", {"reason_id": reason.pk})
    assert closed.status_code == 200
    assert closed.json()["state"] == "closed"
    assert closed.json()["reason_id"] == reason.pk
    again = post(client, f"/api/conversations/{conversation.pk}/close", {"reason_id": reason.pk})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conversation_closed"


def test_retry_a_failed_message(
    anna: Operator, shopper_writes: Callable[..., Any], client_for: Callable[..., Client]
) -> None:
    conversation = shopper_writes("v-1").conversation
    client = client_for(anna)
    sent = post(client, f"/api/conversations/{conversation.pk}/messages", {"text": "hi"}).json()
    not_failed = post(client, f"/api/messages/{sent['id']}/retry")
    assert not_failed.status_code == 409
    assert not_failed.json()["error"]["code"] == "wrong_state"
    do_mark_delivery(message_id=sent["id"], state="failed", error="Telegram said: bot was blocked")
    page = client.get(f"/api/conversations/{conversation.pk}").json()
    assert page["messages"][-1]["delivery_error"] == "Telegram said: bot was blocked"
    retried = post(client, f"/api/messages/{sent['id']}/retry")
    assert retried.status_code == 200
    # The widget needs no delivery step, so the retried message is sent at once.
    assert Message.objects.get(pk=sent["id"]).delivery_state == "sent"


def test_reasons_are_localized(anna: Operator, reason: Reason, client_for: Callable[..., Client]) -> None:
    client = client_for(anna)
    assert client.get("/api/reasons").json() == [
        {"id": reason.pk, "slug": reason.slug, "category": "Order", "name": "Order: where is it"}
    ]
    # The language switch (Django's language cookie) wins over the operator's own language.
    client.cookies["django_language"] = "ru"
    assert client.get("/api/reasons").json()[0]["name"] == "Заказ: где он"


def test_an_operator_gets_their_own_language_by_default(
    make_operator: Callable[..., Operator], reason: Reason, client_for: Callable[..., Client]
) -> None:
    client = client_for(make_operator("Ivan", language="ru"))
    assert client.get("/api/reasons", headers={"Accept-Language": "en"}).json()[0]["name"] == "Заказ: где он"


def test_canned_replies_filtered_by_shortcut_in_my_language(
    make_operator: Callable[..., Operator], client_for: Callable[..., Client]
) -> None:
    operator = make_operator("Ivan", language="ru")
    do_ensure_canned_reply(shortcut="hello", language="ru", text="Здравствуйте!")
    do_ensure_canned_reply(shortcut="hello", language="en", text="Hello!")
    do_ensure_canned_reply(shortcut="track", language="ru", text="Отследить заказ")
    client = client_for(operator)
    assert [r["text"] for r in client.get("/api/canned-replies?q=/he").json()] == ["Здравствуйте!"]
    assert [r["shortcut"] for r in client.get("/api/canned-replies").json()] == ["hello", "track"]
    assert [r["text"] for r in client.get("/api/canned-replies?q=he&language=en").json()] == ["Hello!"]


def test_operators_and_queues_for_transfer(
    anna: Operator, boris: Operator, queues: dict[str, Queue], client_for: Callable[..., Client]
) -> None:
    client = client_for(anna)
    operators = client.get("/api/operators").json()
    assert [o["name"] for o in operators] == ["Boris"]
    assert operators[0]["status"] == "online"
    assert {q["slug"] for q in client.get("/api/queues").json()} == {"general", "stylist"}


def test_contact_card_lists_identities_and_earlier_conversations(
    anna: Operator, reason: Reason, shopper_writes: Callable[..., Any], client_for: Callable[..., Client]
) -> None:
    from chat.actions import do_close

    first = shopper_writes("v-1", "where is my order?", sender_name="Olga").conversation
    do_close(conversation_id=first.pk, operator_id=anna.pk, reason_id=reason.pk)
    second = shopper_writes("v-1", "me again").conversation
    assert second.pk != first.pk
    card = client_for(anna).get(f"/api/contacts/{second.contact_id}").json()
    assert card["name"] == "Olga"
    assert card["identities"] == [
        {"connector": "widget", "external_id": "v-1", "display_name": "Olga", "handle": "", "profile_url": ""}
    ]
    assert [c["id"] for c in card["conversations"]] == [second.pk, first.pk]
    assert card["conversations"][1]["reason"] == "Order: where is it"
    assert card["conversations"][1]["last_message"] == "where is my order?"
    # The earlier chat is readable as context while the operator holds the customer's current one.
    assert client_for(anna).get(f"/api/conversations/{first.pk}").status_code == 200


def test_contact_card_gives_a_vk_profile_link_and_a_telegram_username(
    anna: Operator, shopper_writes: Callable[..., Any], client_for: Callable[..., Client]
) -> None:
    vk = shopper_writes("123456", "привет", connector="vk", sender_name="Oleg").conversation
    tg = shopper_writes("777", "hi", connector="telegram", identity_details={"username": "anna_iv"}).conversation
    client = client_for(anna)
    [vk_identity] = client.get(f"/api/contacts/{vk.contact_id}").json()["identities"]
    assert (vk_identity["handle"], vk_identity["profile_url"]) == ("", "https://vk.com/id123456")
    [tg_identity] = client.get(f"/api/contacts/{tg.contact_id}").json()["identities"]
    assert (tg_identity["handle"], tg_identity["profile_url"]) == ("@anna_iv", "https://t.me/anna_iv")


def test_queue_names_come_in_the_operators_language(
    make_operator: Callable[..., Operator], client_for: Callable[..., Client]
) -> None:
    irina = make_operator("Irina", language="ru")
    names = {q["slug"]: q["name"] for q in client_for(irina).get("/api/queues").json()}
    assert names == {"general": "Общие вопросы", "stylist": "Консультация стилиста"}


def test_queued_conversations_are_visible_to_every_operator(
    make_operator: Callable[..., Operator], shopper_writes: Callable[..., Any], client_for: Callable[..., Client]
) -> None:
    conversation = shopper_writes("v-1").conversation
    assert Conversation.objects.get(pk=conversation.pk).state == ConversationState.QUEUED
    operator = make_operator("Late")
    assert client_for(operator).get(f"/api/conversations/{conversation.pk}").status_code == 200


def test_openapi_schema_and_docs_are_served(db: None) -> None:
    client = Client()
    schema = client.get("/api/openapi.json").json()
    paths = schema["paths"]
    for path in [
        "/api/me",
        "/api/me/status",
        "/api/conversations",
        "/api/queue",
        "/api/conversations/{conversation_id}",
        "/api/conversations/{conversation_id}/messages",
        "/api/conversations/{conversation_id}/transfer",
        "/api/conversations/{conversation_id}/close",
        "/api/messages/{message_id}/retry",
        "/api/reasons",
        "/api/canned-replies",
        "/api/operators",
        "/api/contacts/{contact_id}",
    ]:
        assert path in paths, path
    assert "ErrorOut" in schema["components"]["schemas"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert b"cdn.jsdelivr" not in docs.content


def test_the_contact_card_costs_the_same_queries_however_long_the_history(
    anna: Operator,
    reason: Reason,
    shopper_writes: Callable[..., Any],
    client_for: Callable[..., Client],
    django_assert_max_num_queries: Any,
) -> None:
    from chat.actions import do_close

    for n in range(6):
        conversation = assigned(shopper_writes("v-1", f"visit {n}"))
        if n < 5:
            do_close(conversation_id=conversation.pk, operator_id=anna.pk, reason_id=reason.pk)
    client = client_for(anna)
    with django_assert_max_num_queries(10):
        card = client.get(f"/api/contacts/{conversation.contact_id}").json()
    assert [c["last_message"] for c in card["conversations"]] == [f"visit {n}" for n in reversed(range(6))]


def test_a_script_uses_a_bearer_token_without_csrf_and_a_new_password_revokes_it(
    anna: Operator, shopper_writes: Callable[..., Any]
) -> None:
    from django.core.management import call_command

    from workspace.tokens import issue_api_token

    conversation = assigned(shopper_writes("v-1"))
    out = io.StringIO()
    call_command("issue_api_token", anna.user.username, stdout=out)
    token = out.getvalue().strip()
    assert token == issue_api_token(anna)
    script = Client(enforce_csrf_checks=True)
    auth = {"Authorization": f"Bearer {token}"}
    assert script.get("/api/me", headers=auth).json()["name"] == "Anna"
    reply = script.post(
        f"/api/conversations/{conversation.pk}/messages",
        json.dumps({"text": "from a script"}),
        content_type="application/json",
        headers=auth,
    )
    assert reply.status_code == 201
    assert script.get("/api/me", headers={"Authorization": f"Bearer {token}x"}).status_code == 401
    anna.user.set_password("a-new-password-1")
    anna.user.save()
    assert script.get("/api/me", headers=auth).status_code == 401
