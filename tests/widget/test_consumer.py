"""The widget protocol over a real WebSocket stack (config.asgi.application, real database and layer)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.core import signing

from chat.actions import do_close, do_operator_reply, do_set_operator_status
from chat.events import operator_group
from chat.models import Conversation, Operator
from connectors.widget.signing import issue_token
from tests.widget.conftest import texts

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

db = database_sync_to_async


async def online(make_operator: Callable[..., Operator], name: str = "Anna") -> Operator:
    operator = await db(make_operator)(name)
    await db(do_set_operator_status)(operator_id=operator.pk, status="online")
    return operator


async def test_hello_replays_the_visitors_history_without_notes(
    widget_client: Any, shopper_writes: Callable[..., Any], make_operator: Callable[..., Operator]
) -> None:
    first = await db(shopper_writes)("visitor-a", "Where is my order?")
    operator = await online(make_operator, "Anna")
    await db(do_operator_reply)(conversation_id=first.conversation.pk, operator_id=operator.pk, text="Checking")
    await db(do_operator_reply)(
        conversation_id=first.conversation.pk, operator_id=operator.pk, text="private note", is_note=True
    )

    client = await widget_client()
    state = await client.hello(issue_token("visitor-a"), last_id=0)

    assert state["conversation_id"] == first.conversation.pk
    assert state["state"] == "active"
    assert state["operator_name"] == "Anna"
    assert [(m["author_kind"], m["text"]) for m in state["messages"]] == [
        ("shopper", "Where is my order?"),
        ("operator", "Checking"),
    ]
    assert "is_note" not in state["messages"][0]


async def test_queued_visitor_sees_position_and_a_new_visitor_an_empty_state(
    widget_client: Any, shopper_writes: Callable[..., Any]
) -> None:
    await db(shopper_writes)("visitor-first", "hi")
    await db(shopper_writes)("visitor-second", "hello")

    second = await (await widget_client()).hello(issue_token("visitor-second"))
    assert second["state"] == "queued"
    assert second["queue_position"] == 2

    fresh = await (await widget_client()).hello(issue_token("visitor-new"))
    assert fresh["conversation_id"] is None
    assert fresh["messages"] == []


async def test_sending_stores_the_text_exactly_and_acknowledges_with_the_client_id(
    widget_client: Any, queues: Any
) -> None:
    client = await widget_client()
    await client.hello(issue_token("visitor-a"))
    text = "<script>alert(1)</script> **bold** & more"

    await client.send({"type": "message", "text": text, "client_id": "c-1"})

    ack = await client.expect("message")
    assert ack["client_id"] == "c-1"
    assert ack["message"]["text"] == text
    state = await client.expect("state")  # the first message opened a conversation: it is followed
    assert state["conversation_id"] == ack["conversation_id"]
    assert [m["text"] for m in state["messages"]] == [text]
    assert await texts(state["conversation_id"]) == [text]


async def test_a_resend_with_the_same_client_id_is_stored_once(widget_client: Any, queues: Any) -> None:
    client = await widget_client()
    await client.hello(issue_token("visitor-a"))
    await client.send({"type": "message", "text": "once", "client_id": "same"})
    first = await client.expect("message")

    await client.send({"type": "message", "text": "once", "client_id": "same"})
    # The acknowledgement carries the client id; the live copy of the first send may come first.
    again = await client.expect("message")
    while "client_id" not in again:
        again = await client.expect("message")

    assert again["message"]["id"] == first["message"]["id"]
    assert again["duplicate"] is True
    assert await texts(first["conversation_id"]) == ["once"]


async def test_reconnect_resumes_after_last_id_with_nothing_doubled(
    widget_client: Any, queues: Any, make_operator: Callable[..., Operator]
) -> None:
    token = issue_token("visitor-a")
    client = await widget_client()
    await client.hello(token)
    await client.send({"type": "message", "text": "one", "client_id": "c-1"})
    seen = (await client.expect("message"))["message"]
    conversation_id = seen["conversation_id"]
    await client.close()

    # While the shopper is away the operator answers twice.
    operator = await online(make_operator)
    await db(do_operator_reply)(conversation_id=conversation_id, operator_id=operator.pk, text="two")
    await db(do_operator_reply)(conversation_id=conversation_id, operator_id=operator.pk, text="three")

    again = await widget_client()
    state = await again.hello(token, last_id=seen["id"], conversation_id=conversation_id)
    assert [m["text"] for m in state["messages"]] == ["two", "three"]
    assert state["operator_name"]

    # And live from then on.
    await db(do_operator_reply)(conversation_id=conversation_id, operator_id=operator.pk, text="four")
    live = await again.expect("message")
    assert live["message"]["text"] == "four"
    assert await texts(conversation_id) == ["one", "two", "three", "four"]


async def test_live_assignment_typing_position_and_close(
    widget_client: Any, queues: Any, make_operator: Callable[..., Operator]
) -> None:
    client = await widget_client()
    await client.hello(issue_token("visitor-a"))
    await client.send({"type": "message", "text": "hi", "client_id": "c-1"})
    conversation_id = (await client.expect("message"))["conversation_id"]

    await client.send({"type": "position"})
    position = await client.expect("queue.position")
    assert position["position"] == 1

    operator = await online(make_operator, "Boris")
    assigned = await client.expect("assigned")
    assert assigned["operator_name"] == "Boris"

    from chat.events import relay_typing

    await relay_typing(conversation_id=conversation_id, author_kind="operator", operator_id=operator.pk, name="Boris")
    assert (await client.expect("typing"))["name"] == "Boris"

    await client.send({"type": "close"})
    assert (await client.expect("closed"))["conversation_id"] == conversation_id
    conversation = await db(Conversation.objects.get)(pk=conversation_id)
    assert (conversation.state, conversation.closed_by_kind) == ("closed", "shopper")


async def test_writing_after_a_close_opens_and_follows_a_new_conversation(
    widget_client: Any, shopper_writes: Callable[..., Any]
) -> None:
    old = await db(shopper_writes)("visitor-a", "old question")
    await db(do_close)(conversation_id=old.conversation.pk, by="shopper")
    client = await widget_client()
    state = await client.hello(issue_token("visitor-a"))
    assert (state["conversation_id"], state["state"]) == (old.conversation.pk, "closed")

    await client.send({"type": "message", "text": "new question", "client_id": "c-2"})

    ack = await client.expect("message")
    new_state = await client.expect("state")
    assert new_state["conversation_id"] == ack["conversation_id"] != old.conversation.pk
    assert [m["text"] for m in new_state["messages"]] == ["new question"]


async def test_stylist_button_takes_the_open_chat_to_the_stylist_queue_with_its_history(
    widget_client: Any, shopper_writes: Callable[..., Any]
) -> None:
    general = await db(shopper_writes)("visitor-a", "a general question")
    client = await widget_client()
    state = await client.hello(issue_token("visitor-a"), queue="stylist")

    assert state["conversation_id"] == general.conversation.pk
    assert [m["text"] for m in state["messages"]] == [
        "a general question",
        "This chat has moved to the stylist consultation: a stylist will continue it here.",
    ]
    assert (await client.expect("questionnaire"))["conversation_id"] == state["conversation_id"]
    consultation = await db(Conversation.objects.select_related("queue").get)(pk=state["conversation_id"])
    assert consultation.queue.slug == "stylist"


async def test_stylist_button_without_a_chat_opens_a_consultation(widget_client: Any, queues: Any) -> None:
    client = await widget_client()
    state = await client.hello(issue_token("visitor-new"), queue="stylist")
    assert (state["state"], state["messages"]) == ("queued", [])
    consultation = await db(Conversation.objects.select_related("queue").get)(pk=state["conversation_id"])
    assert consultation.queue.slug == "stylist"
    again = await widget_client()
    assert (await again.hello(issue_token("visitor-new"), queue="stylist"))["conversation_id"] == consultation.pk


async def test_forged_tampered_or_expired_tokens_get_an_error_and_the_connection_is_kept(
    widget_client: Any, shopper_writes: Callable[..., Any], settings: Any
) -> None:
    await db(shopper_writes)("visitor-a", "secret order details")
    client = await widget_client()
    genuine = issue_token("visitor-a")
    forged = [
        genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB"),
        signing.dumps({"v": "visitor-a"}),  # signed, but for another purpose (no widget salt)
        signing.dumps({"v": "visitor-a"}, salt="switchboard.widget.visitor", key="not-our-key"),
        "",
        12,
    ]
    for token in forged:
        await client.send({"type": "hello", "token": token})
        error = await client.expect("error")
        assert error["code"] == "invalid_token"

    # Nothing was revealed or accepted, and the same socket still works with a genuine token.
    await client.send({"type": "message", "text": "sneaky", "client_id": "x"})
    assert (await client.expect("error"))["code"] == "hello_first"
    state = await client.hello(genuine)
    assert [m["text"] for m in state["messages"]] == ["secret order details"]

    settings.WIDGET_TOKEN_MAX_AGE_DAYS = -1
    await client.send({"type": "hello", "token": genuine})
    assert (await client.expect("error"))["code"] == "invalid_token"


async def test_a_forged_token_in_the_query_string_is_refused_with_4401(widget_client: Any, queues: Any) -> None:
    from tests.widget.conftest import WidgetClient

    client = WidgetClient("/ws/widget/?token=forged.token.value")
    await client.connect()
    error = await client.receive()
    assert error["code"] == "invalid_token"
    assert (await client.communicator.receive_output(timeout=2))["code"] == 4401


async def test_a_valid_token_in_the_query_string_needs_no_hello(
    widget_client: Any, shopper_writes: Callable[..., Any]
) -> None:
    await db(shopper_writes)("visitor-a", "hello there")
    client = await widget_client(f"/ws/widget/?token={issue_token('visitor-a')}&last_id=0")
    state = await client.expect("state")
    assert [m["text"] for m in state["messages"]] == ["hello there"]


async def test_another_visitors_conversation_is_refused_and_untouched(
    widget_client: Any, shopper_writes: Callable[..., Any]
) -> None:
    theirs = await db(shopper_writes)("visitor-victim", "my address is ...")
    mine = await db(shopper_writes)("visitor-mallory", "hi")
    client = await widget_client()

    await client.send(
        {"type": "hello", "token": issue_token("visitor-mallory"), "conversation_id": theirs.conversation.pk}
    )
    assert (await client.expect("error"))["code"] == "forbidden"

    state = await client.hello(issue_token("visitor-mallory"))
    assert state["conversation_id"] == mine.conversation.pk
    await client.send(
        {"type": "message", "text": "injected", "client_id": "m-1", "conversation_id": theirs.conversation.pk}
    )
    error = await client.expect("error")
    assert (error["code"], error["client_id"]) == ("forbidden", "m-1")
    await client.send({"type": "hello", "token": issue_token("visitor-mallory"), "conversation_id": 10**9})
    assert (await client.expect("error"))["code"] == "forbidden"

    assert await texts(theirs.conversation.pk) == ["my address is ..."]
    assert await texts(mine.conversation.pk) == ["hi"]


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "message", "text": "x" * 4097, "client_id": "long"}, "invalid_input"),
        ({"type": "message", "text": "   ", "client_id": "blank"}, "invalid_input"),
        ({"type": "message", "text": ["not", "text"], "client_id": "list"}, "malformed"),
        ({"type": "message", "text": "no client id"}, "malformed"),
        ("{not json", "malformed"),
        ("[1, 2]", "malformed"),
        ('{"type": 5}', "malformed"),
        ({"type": "sudo"}, "unknown_type"),
        ({"type": "open", "queue": "vip"}, "unknown_queue"),
        ({"type": "hello", "token": "x", "last_id": -1}, "invalid_token"),
        ("x" * 70_000, "too_large"),
    ],
)
async def test_bad_frames_get_an_error_frame_store_nothing_and_keep_the_connection(
    widget_client: Any, shopper_writes: Callable[..., Any], frame: dict[str, Any] | str, code: str
) -> None:
    written = await db(shopper_writes)("visitor-a", "before")
    client = await widget_client()
    await client.hello(issue_token("visitor-a"))

    await client.send(frame)
    error = await client.expect("error")
    assert error["code"] == code
    assert error["message"]

    await client.send({"type": "message", "text": "after", "client_id": "ok"})
    assert (await client.expect("message"))["message"]["text"] == "after"
    assert await texts(written.conversation.pk) == ["before", "after"]


async def test_shopper_typing_reaches_the_assigned_operator_only(
    widget_client: Any, queues: Any, make_operator: Callable[..., Operator]
) -> None:
    client = await widget_client()
    await client.hello(issue_token("visitor-a"))
    await client.send({"type": "message", "text": "hi", "client_id": "c-1"})
    conversation_id = (await client.expect("message"))["conversation_id"]
    operator = await online(make_operator, "Boris")
    await client.expect("assigned")
    layer = get_channel_layer()
    desk = await layer.new_channel()
    await layer.group_add(operator_group(operator.pk), desk)

    await client.send({"type": "typing"})

    async with asyncio.timeout(3):
        while (event := await layer.receive(desk))["kind"] != "typing":
            pass
    assert event["payload"] == {"conversation_id": conversation_id, "author_kind": "shopper", "name": ""}
    assert await client.nothing_more(), "the shopper is not told about their own typing"


async def test_the_demo_stylist_greets_the_shopper_by_her_name(widget_client: Any) -> None:
    from chat.demo import load_demo

    await db(load_demo)()
    sofia = await db(Operator.objects.get)(user__username="sofia")
    await db(do_set_operator_status)(operator_id=sofia.pk, status="online")
    client = await widget_client()
    state = await client.hello(issue_token("visitor-style"), queue="stylist")
    if state["state"] != "active":
        state = await client.expect("assigned", wait=10)
    assert state["operator_name"] == "Sofia"
