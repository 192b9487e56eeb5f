"""The workspace WebSocket through the real ASGI application: auth, live events, resume, bad frames."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from chat import actions, events
from chat.actions import InboundMessage, do_receive_inbound, do_set_operator_status
from chat.models import Conversation, Operator, OperatorConnection
from config.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

ORIGIN = (b"origin", b"http://127.0.0.1")


def session_cookie(operator: Operator) -> str:
    client = Client()
    client.force_login(operator.user)
    return client.cookies["sessionid"].value


def communicator(session: str | None, query: str = "") -> WebsocketCommunicator:
    headers = [ORIGIN, (b"host", b"127.0.0.1")]
    if session:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    return WebsocketCommunicator(application, f"/ws/workspace/{query}", headers=headers)


async def connect(session: str | None, query: str = "") -> tuple[WebsocketCommunicator, dict[str, Any]]:
    ws = communicator(session, query)
    connected, _ = await ws.connect()
    assert connected
    hello = await ws.receive_json_from(timeout=5)
    assert hello["type"] == "hello"
    return ws, hello


async def frames_until(ws: WebsocketCommunicator, done: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """Collect frames until one satisfies ``done`` (the test fails on a 5 s silence)."""
    frames = []
    while True:
        frame = await ws.receive_json_from(timeout=5)
        frames.append(frame)
        if done(frame):
            return frames


def is_message(text: str) -> Callable[[dict[str, Any]], bool]:
    return lambda f: f.get("kind") == "message.new" and f["payload"]["text"] == text


async def shopper_says(sender: str, text: str) -> Conversation:
    received = await database_sync_to_async(do_receive_inbound)(
        InboundMessage(connector="widget", sender_id=sender, text=text)
    )
    return await Conversation.objects.aget(pk=received.conversation.pk)


@pytest.fixture
def online_operator(make_operator: Callable[..., Operator]) -> Operator:
    operator = make_operator("Anna")
    do_set_operator_status(operator_id=operator.pk, status="online")
    return operator


async def test_anonymous_is_refused(db: None) -> None:
    ws = communicator(None)
    connected, code = await ws.connect()
    assert not connected
    assert code == 4401


async def test_a_shoppers_message_arrives_live(online_operator: Operator) -> None:
    session = await database_sync_to_async(session_cookie)(online_operator)
    ws, _ = await connect(session)
    await shopper_says("v-1", "Где мой заказ? <b>10234</b>")
    frames = await frames_until(ws, is_message("Где мой заказ? <b>10234</b>"))
    # Assignment commits right after the message, so it is announced in the same breath.
    assert any(f.get("kind") == "conversation.assigned" for f in frames)
    conversation = await Conversation.objects.aget(contact__identities__external_id="v-1")
    assert conversation.operator_id == online_operator.pk
    await shopper_says("v-1", "second")
    frames = await frames_until(ws, is_message("second"))
    assert frames[-1]["payload"]["conversation_id"] == conversation.pk
    await ws.disconnect()


async def test_reconnect_and_resume_misses_nothing_and_doubles_nothing(online_operator: Operator) -> None:
    session = await database_sync_to_async(session_cookie)(online_operator)
    ws, _ = await connect(session)
    await shopper_says("v-1", "first")
    seen = await frames_until(ws, is_message("first"))
    last_seen = max(f["id"] for f in seen if f.get("id"))
    await ws.disconnect()
    operator = await Operator.objects.aget(pk=online_operator.pk)
    assert not await OperatorConnection.objects.filter(operator=operator).aexists()
    assert operator.disconnected_at is not None

    # While the tab is gone (within the grace period) the shopper keeps writing.
    await shopper_says("v-1", "while you were away 1")
    await shopper_says("v-1", "while you were away 2")

    ws, hello = await connect(session, f"?last_event_id={last_seen}")
    assert await OperatorConnection.objects.filter(operator_id=online_operator.pk).acount() == 1
    replayed = await frames_until(ws, lambda f: f["type"] == "resumed")
    texts = [f["payload"]["text"] for f in replayed if f.get("kind") == "message.new"]
    assert texts == ["while you were away 1", "while you were away 2"]
    ids = [f["id"] for f in replayed if f.get("id")]
    assert len(ids) == len(set(ids))
    assert all(i > last_seen for i in ids)
    assert hello["last_event_id"] >= max(ids)
    # Asking again with the same id replays the same events... and the consumer sends none twice.
    await ws.send_json_to({"type": "resume", "last_event_id": last_seen})
    again = await frames_until(ws, lambda f: f["type"] == "resumed")
    assert again == [{"type": "resumed"}]
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


async def test_typing_goes_to_the_shopper_only_for_my_own_chat(
    online_operator: Operator, make_operator: Callable[..., Operator]
) -> None:
    mine = await shopper_says("v-1", "hello")
    mine = await Conversation.objects.aget(pk=mine.pk)
    assert mine.operator_id == online_operator.pk
    stranger = await database_sync_to_async(make_operator)("Boris")
    foreign = await database_sync_to_async(session_cookie)(stranger)
    layer = get_channel_layer()
    widget_channel = await layer.new_channel()
    await layer.group_add(events.conversation_group(mine.pk), widget_channel)

    ws, _ = await connect(foreign)
    await ws.send_json_to({"type": "typing", "conversation_id": mine.pk})
    error = await frames_until(ws, lambda f: f["type"] == "error")
    assert error[-1]["code"] == "forbidden"
    await ws.send_json_to({"type": "ping"})
    assert (await frames_until(ws, lambda f: f["type"] == "pong"))[-1] == {"type": "pong"}
    await ws.disconnect()

    session = await database_sync_to_async(session_cookie)(online_operator)
    ws, _ = await connect(session)
    await ws.send_json_to({"type": "typing", "conversation_id": mine.pk})
    typing = await layer.receive(widget_channel)
    assert typing["kind"] == "typing"
    assert typing["payload"] == {"conversation_id": mine.pk, "author_kind": "operator", "name": "Anna"}
    await ws.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json at all", "invalid_frame"),
        ("[1, 2]", "invalid_frame"),
        (json.dumps({"type": "reply", "conversation_id": 1, "text": "hi"}), "unknown_type"),
        (json.dumps({"type": "resume", "last_event_id": "yesterday"}), "invalid_frame"),
        (json.dumps({"type": "typing", "conversation_id": "1"}), "invalid_frame"),
        (json.dumps({"type": "typing", "conversation_id": 99999999}), "forbidden"),
    ],
)
async def test_bad_frames_get_an_error_and_the_connection_stays(
    online_operator: Operator, frame: str, code: str
) -> None:
    session = await database_sync_to_async(session_cookie)(online_operator)
    ws, _ = await connect(session)
    await ws.send_to(text_data=frame)
    error = await frames_until(ws, lambda f: f["type"] == "error")
    assert error[-1]["code"] == code
    assert error[-1]["message"]
    await shopper_says("v-9", "still listening?")
    await frames_until(ws, is_message("still listening?"))
    await ws.disconnect()


async def test_a_closed_tab_sets_the_operator_offline_after_the_grace_period(
    online_operator: Operator, settings: Any
) -> None:
    settings.SWITCHBOARD_OFFLINE_GRACE_SECONDS = 0
    conversation = await shopper_says("v-1", "hello")
    assert (await Conversation.objects.aget(pk=conversation.pk)).operator_id == online_operator.pk
    session = await database_sync_to_async(session_cookie)(online_operator)
    ws, _ = await connect(session)
    await ws.disconnect()
    for _ in range(50):
        operator = await Operator.objects.aget(pk=online_operator.pk)
        if operator.status == "offline":
            break
        await asyncio.sleep(0.1)
    assert operator.status == "offline"
    # Their chat went back to the head of the queue.
    assert (await Conversation.objects.aget(pk=conversation.pk)).state == "queued"


async def test_a_reload_within_the_grace_period_keeps_the_operator_online(
    online_operator: Operator, settings: Any
) -> None:
    settings.SWITCHBOARD_OFFLINE_GRACE_SECONDS = 0
    session = await database_sync_to_async(session_cookie)(online_operator)
    first, _ = await connect(session)
    second, _ = await connect(session)  # a second tab, or the reloaded page
    await first.disconnect()
    await asyncio.sleep(1.5)
    assert (await Operator.objects.aget(pk=online_operator.pk)).status == "online"
    await second.disconnect()


async def wait_until(condition: Callable[[], Awaitable[Any]], within: float = 10.0) -> Any:
    """Poll an async condition until it holds (the test fails with its last value otherwise)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await condition()
        if value or asyncio.get_running_loop().time() > deadline:
            assert value, f"not true within {within} s: {value!r}"
            return value
        await asyncio.sleep(0.05)


async def test_a_consumer_that_dies_without_disconnect_leaves_no_live_connection(online_operator: Operator) -> None:
    session = await database_sync_to_async(session_cookie)(online_operator)
    ws, _ = await connect(session)
    live = OperatorConnection.objects.filter(operator_id=online_operator.pk)
    assert await live.acount() == 1
    # As when a frame crashes it: the consumer's task ends and disconnect() never runs.
    ws.future.cancel()

    async def gone() -> bool:
        return not await live.aexists()

    await wait_until(gone)
    assert (await Operator.objects.aget(pk=online_operator.pk)).disconnected_at is not None


async def test_a_connection_that_stops_beating_is_swept_offline_and_gets_no_new_chat(
    online_operator: Operator, settings: Any
) -> None:
    # A hung or killed server: its socket is still "open" here but nothing proves it alive any more.
    settings.SWITCHBOARD_PRESENCE_HEARTBEAT_SECONDS = 3600
    settings.SWITCHBOARD_PRESENCE_EXPIRY_SECONDS = 0.3
    settings.SWITCHBOARD_OFFLINE_GRACE_SECONDS = 0.3
    session = await database_sync_to_async(session_cookie)(online_operator)
    ws, _ = await connect(session)
    held = await shopper_says("v-1", "hello")
    assert (await Conversation.objects.aget(pk=held.pk)).operator_id == online_operator.pk
    await asyncio.sleep(0.5)
    assert await database_sync_to_async(actions.do_sweep_disconnected_operators)() == [online_operator.pk]
    await frames_until(ws, lambda f: f.get("kind") == "operator.status" and f["payload"]["status"] == "offline")
    assert (await Conversation.objects.aget(pk=held.pk)).state == "queued"
    newcomer = await shopper_says("v-2", "anyone there?")
    assert (await Conversation.objects.aget(pk=newcomer.pk)).operator_id is None
    await ws.disconnect()


async def test_a_live_connection_keeps_beating_and_the_operator_stays_online(
    online_operator: Operator, settings: Any
) -> None:
    settings.SWITCHBOARD_PRESENCE_HEARTBEAT_SECONDS = 0.1
    settings.SWITCHBOARD_PRESENCE_EXPIRY_SECONDS = 1.5
    settings.SWITCHBOARD_OFFLINE_GRACE_SECONDS = 1.5
    session = await database_sync_to_async(session_cookie)(online_operator)
    ws, _ = await connect(session)
    for _ in range(10):
        await asyncio.sleep(0.25)
        assert await database_sync_to_async(actions.do_sweep_disconnected_operators)() == []
    assert (await Operator.objects.aget(pk=online_operator.pk)).status == "online"
    assert await OperatorConnection.objects.filter(operator_id=online_operator.pk).acount() == 1
    await ws.disconnect()
