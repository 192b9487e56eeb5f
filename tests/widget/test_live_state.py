"""Live state reaches every open screen on every path that changes it: an operator going offline,
a transfer, a close nobody answered, a long wait. Shopper sockets and the operator's workspace socket
through the real ASGI application and channel layer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone

from chat.actions import do_close, do_set_operator_status, do_transfer
from chat.models import Contact, Conversation, Operator
from config.asgi import application
from connectors.widget.signing import issue_token
from tests.widget.conftest import WidgetClient

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

db = database_sync_to_async


async def online(make_operator: Callable[..., Operator], name: str, **kwargs: Any) -> Operator:
    operator = await db(make_operator)(name, **kwargs)
    await db(do_set_operator_status)(operator_id=operator.pk, status="online")
    return operator


async def workspace_socket(operator: Operator) -> WebsocketCommunicator:
    def cookie() -> str:
        client = Client()
        client.force_login(operator.user)
        return client.cookies["sessionid"].value

    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    headers.append((b"cookie", f"sessionid={await db(cookie)()}".encode()))
    ws = WebsocketCommunicator(application, "/ws/workspace/", headers=headers)
    connected, _ = await ws.connect(timeout=10)
    assert connected
    assert (await ws.receive_json_from(timeout=5))["type"] == "hello"
    return ws


async def workspace_event(ws: WebsocketCommunicator, kind: str, **match: Any) -> dict[str, Any]:
    """The next workspace event of this kind whose payload has these values (others are skipped)."""
    for _ in range(50):
        frame = await ws.receive_json_from(timeout=5)
        payload = frame.get("payload") or {}
        if frame.get("kind") == kind and all(payload.get(k) == v for k, v in match.items()):
            return payload
    raise AssertionError(f"no {kind} event with {match}")


async def shopper(
    widget_client: Any, visitor: str, text: str, language: str = "en", operator_name: str = ""
) -> tuple[WidgetClient, int]:
    """A shopper's first message; ``operator_name``: who took it at once (else it waits)."""
    client = await widget_client()
    await client.hello(issue_token(visitor), language=language)
    await client.send({"type": "message", "text": text, "client_id": f"{visitor}-1"})
    conversation_id = (await client.expect("message"))["conversation_id"]
    state = await client.expect("state")  # the first message opened the chat: the socket follows it
    assert (state["state"], state["operator_name"]) == ("active" if operator_name else "queued", operator_name)
    return client, conversation_id


async def position_becomes(client: WidgetClient, position: int) -> bool:
    """Position frames come after every change: wait for the one that says ``position``."""
    for _ in range(10):
        if (await client.expect("queue.position"))["position"] == position:
            return True
    return False


async def system_line(client: WidgetClient) -> str:
    for _ in range(20):
        frame = await client.expect("message")
        if frame["message"]["author_kind"] == "system":
            return frame["message"]["text"]
    raise AssertionError("no system line")


async def test_an_operator_going_offline_changes_every_screen_at_once(
    widget_client: Any, queues: Any, make_operator: Callable[..., Operator]
) -> None:
    anna = await online(make_operator, "Anna", cap=2)
    held_en, held_en_id = await shopper(widget_client, "v-en", "Where is my order?", operator_name="Anna")
    held_ru, held_ru_id = await shopper(widget_client, "v-ru", "Где мой заказ?", language="ru", operator_name="Anna")
    waiting, _ = await shopper(widget_client, "v-wait", "Anyone there?")
    await waiting.send({"type": "position"})
    assert (await waiting.expect("queue.position"))["position"] == 1
    anna_tab = await workspace_socket(anna)

    await db(do_set_operator_status)(operator_id=anna.pk, status="offline")

    # Anna's tab drops both chats without a reload.
    assert (await workspace_event(anna_tab, "conversation.removed", conversation_id=held_en_id))["why"] == "requeued"
    await workspace_event(anna_tab, "conversation.removed", conversation_id=held_ru_id)
    await anna_tab.disconnect()
    # Her shoppers no longer read "Anna is here to help": they are told why, and queued again at the head.
    assert await system_line(held_en) == (
        "Anna is no longer available. You are back at the head of the queue: the next free operator will answer."
    )
    assert await held_en.expect("queued")
    en_place = await held_en.expect("queue.position")
    assert (en_place["position"], en_place["nobody_online"]) == (1, True)
    assert (await system_line(held_ru)).startswith("Anna больше не на связи. Вы снова первый в очереди")
    assert await held_ru.expect("queued")
    # The shopper who was first now waits behind the two requeued chats.
    assert await position_becomes(waiting, 3)

    boris = await online(make_operator, "Boris", cap=1)
    assert (await held_en.expect("assigned"))["operator_name"] == "Boris"
    assert await position_becomes(held_ru, 1)
    assert await db(lambda: Conversation.objects.get(pk=held_en_id).operator_id)() == boris.pk


async def test_a_transfer_tells_both_sides_in_the_shoppers_language(
    widget_client: Any, queues: Any, make_operator: Callable[..., Operator]
) -> None:
    anna = await online(make_operator, "Anna", cap=1)
    client, conversation_id = await shopper(widget_client, "v-ru", "Нужна помощь", language="ru", operator_name="Anna")
    boris = await online(make_operator, "Boris", cap=1)
    boris_tab = await workspace_socket(boris)

    await db(do_transfer)(conversation_id=conversation_id, actor_operator_id=anna.pk, to_operator_id=boris.pk)

    line = "Anna передаёт чат: вам ответит Boris."
    assert await system_line(client) == line
    assert (await client.expect("assigned"))["operator_name"] == "Boris"
    assert (await workspace_event(boris_tab, "message.new", conversation_id=conversation_id))["text"] == line
    await boris_tab.disconnect()

    await db(do_transfer)(conversation_id=conversation_id, actor_operator_id=boris.pk, to_queue_id=queues["stylist"].pk)
    assert (await system_line(client)).startswith("Boris передаёт чат в очередь «Консультация стилиста»")
    assert await client.expect("queued")


async def test_closing_a_chat_nobody_answered_says_why_and_offers_a_message(
    widget_client: Any, queues: Any, make_operator: Callable[..., Operator]
) -> None:
    client, conversation_id = await shopper(widget_client, "v-1", "Hello?")
    await db(do_close)(conversation_id=conversation_id, by="system", only_if_queued=True)

    assert await system_line(client) == (
        "The chat ended before an operator could answer: nobody who can answer it was online. "
        "Leave us a message with your email or phone and we will answer."
    )
    closed = await client.expect("closed")
    assert (closed["by"], closed["unanswered"]) == ("system", True)
    # A reload shows the same: the widget offers the message form again.
    again = await (await widget_client()).hello(issue_token("v-1"))
    assert (again["state"], again["unanswered"]) == ("closed", True)


async def test_a_shopper_who_closes_an_answered_chat_sees_no_offer(
    widget_client: Any, queues: Any, make_operator: Callable[..., Operator]
) -> None:
    from chat.actions import do_operator_reply

    anna = await online(make_operator, "Anna")
    client, conversation_id = await shopper(widget_client, "v-1", "Hello?", operator_name="Anna")
    await db(do_operator_reply)(conversation_id=conversation_id, operator_id=anna.pk, text="Hi!")
    await client.send({"type": "close"})
    assert await system_line(client) == "The customer ended the chat."
    assert (await client.expect("closed"))["unanswered"] is False


async def test_a_waiting_shopper_leaves_a_contact_and_keeps_the_chat(
    widget_client: Any, queues: Any, make_operator: Callable[..., Operator]
) -> None:
    await online(make_operator, "Anna", cap=1)
    await shopper(widget_client, "v-held", "first", operator_name="Anna")
    client, conversation_id = await shopper(widget_client, "v-wait", "second")

    await client.send({"type": "contact", "name": "Oleg", "email": "nope"})
    assert (await client.expect("error"))["code"] == "invalid_input"
    await client.send({"type": "contact", "name": "Oleg"})
    assert (await client.expect("error"))["code"] == "invalid_input"

    await client.send({"type": "contact", "name": "Oleg", "email": "oleg@example.com"})
    assert (await client.expect("contact.saved"))["conversation_id"] == conversation_id
    assert (await system_line(client)).startswith("Thank you: we will answer at oleg@example.com")
    conversation = await db(Conversation.objects.get)(pk=conversation_id)
    assert (conversation.state, conversation.is_offline) == ("queued", True)
    contact = await db(Contact.objects.get)(pk=conversation.contact_id)
    assert (contact.name, contact.email) == ("Oleg", "oleg@example.com")


async def test_the_stylist_queue_with_no_stylist_online_says_so(
    widget_client: Any, queues: Any, make_operator: Callable[..., Operator]
) -> None:
    await online(make_operator, "Anna")  # general only
    client = await widget_client()
    await client.hello(issue_token("v-style"), queue="stylist")
    await client.send({"type": "position"})
    place = await client.expect("queue.position")
    assert place["position"] == 1
    assert place["estimated_wait_seconds"] is None
    assert (place["nobody_online"], place["offer_message"]) == (True, True)


async def test_no_first_reply_in_time_sends_the_chat_to_the_next_operator(
    widget_client: Any, queues: Any, make_operator: Callable[..., Operator], client: Client
) -> None:
    from datetime import timedelta

    from chat.actions import do_requeue_unanswered_chats
    from chat.actions.setup import do_create_operator
    from chat.models import ConversationStep, Queue

    anna = await online(make_operator, "Anna", cap=1)
    client_ws, conversation_id = await shopper(widget_client, "v-1", "Hello?", operator_name="Anna")
    anna_tab = await workspace_socket(anna)
    boris = await db(make_operator)("Boris", cap=1)
    assert await db(do_requeue_unanswered_chats)() == []  # off by default

    def set_limit_and_let_a_minute_pass() -> None:
        # Test setup: the manager's limit (admin, Queues), and the chat taken a minute ago.
        Queue.objects.filter(slug="general").update(first_reply_timeout_seconds=30)
        minute_ago = timezone.now() - timedelta(seconds=60)
        ConversationStep.objects.filter(conversation_id=conversation_id).update(at=minute_ago)
        Conversation.objects.filter(pk=conversation_id).update(response_clock_at=minute_ago)

    await db(set_limit_and_let_a_minute_pass)()
    await db(do_set_operator_status)(operator_id=boris.pk, status="online")
    assert await db(do_requeue_unanswered_chats)() == [conversation_id]

    assert (await workspace_event(anna_tab, "conversation.removed", conversation_id=conversation_id))["why"] == (
        "requeued"
    )
    await anna_tab.disconnect()
    assert await system_line(client_ws) == (
        "Anna could not answer in time. You are back at the head of the queue: the next free operator will answer."
    )
    assert await client_ws.expect("queued")
    # Anna has a free slot again, yet the chat goes to Boris: the next operator.
    assert (await client_ws.expect("assigned"))["operator_name"] == "Boris"
    assert await db(lambda: Conversation.objects.get(pk=conversation_id).operator_id)() == boris.pk

    manager = await db(do_create_operator)(username="boss", password="pw-123456", display_name="Boss", is_manager=True)
    await db(client.force_login)(manager.user)
    live = await db(lambda: client.get("/workspace/dashboards/live.json").json())()
    assert live["no_first_reply_today"] == 1


async def test_a_managers_transfer_of_someone_elses_chat_reaches_every_screen(
    widget_client: Any, queues: Any, make_operator: Callable[..., Operator]
) -> None:
    anna = await online(make_operator, "Anna", cap=1)
    client, conversation_id = await shopper(widget_client, "v-1", "Hello", operator_name="Anna")
    boris = await online(make_operator, "Boris", cap=1)
    maria = await db(make_operator)("Maria", is_manager=True)
    anna_tab = await workspace_socket(anna)

    await db(do_transfer)(conversation_id=conversation_id, actor_operator_id=maria.pk, to_operator_id=boris.pk)

    assert (await workspace_event(anna_tab, "conversation.removed", conversation_id=conversation_id))["why"] == (
        "transferred"
    )
    await anna_tab.disconnect()
    assert await system_line(client) == "Maria handed the chat over to Boris."
    assert (await client.expect("assigned"))["operator_name"] == "Boris"
