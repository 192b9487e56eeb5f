"""A move of the whole queue is one ``queue.moved`` event per queue: every waiting widget derives its
own place from it, none is sent a position of its own. Real ASGI application and channel layer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from channels.layers import get_channel_layer

from chat import events
from chat.actions import do_close
from chat.models import Operator, Queue
from tests.widget.test_live_state import db, online, shopper

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


async def kinds_heard(layer: Any, channel: str, wait: float = 1.0) -> list[str]:
    """Every event kind that reached ``channel`` until it stays quiet for ``wait`` seconds."""
    heard: list[str] = []
    while True:
        try:
            message = await asyncio.wait_for(layer.receive(channel), wait)
        except TimeoutError:
            return heard
        heard.append(message.get("kind"))


async def test_a_close_moves_everyone_behind_with_one_event(
    widget_client: Any, queues: dict[str, Queue], make_operator: Callable[..., Operator], reason: Any
) -> None:
    anna = await online(make_operator, "Anna", cap=1)
    _, held_id = await shopper(widget_client, "v-held", "Hello", operator_name="Anna")
    waiting = [await shopper(widget_client, f"v-wait-{n}", "Anyone?") for n in range(3)]
    for n, (client, _) in enumerate(waiting, start=1):
        await client.send({"type": "position"})
        assert (await client.expect("queue.position"))["position"] == n
    # A listener in the queue's group and in every waiting chat's own group counts what is sent.
    layer = get_channel_layer()
    listener = await layer.new_channel()
    await layer.group_add(events.queue_group(queues["general"].pk), listener)
    for _, conversation_id in waiting:
        await layer.group_add(events.conversation_group(conversation_id), listener)

    await db(do_close)(conversation_id=held_id, operator_id=anna.pk, reason_id=reason.pk, by="operator")

    (first, _), (second, _), (third, _) = waiting
    assert (await first.expect("assigned"))["operator_name"] == "Anna"
    assert (await second.expect("queue.position"))["position"] == 1
    moved = await third.expect("queue.position")
    assert (moved["position"], moved["queue_id"], moved["nobody_online"]) == (2, queues["general"].pk, False)
    heard = await kinds_heard(layer, listener)
    assert heard.count("queue.moved") == 1  # one send for the whole queue...
    assert "queue.position" not in heard  # ...and none to any waiting chat of its own


async def test_a_late_event_from_another_process_does_not_undo_a_newer_place(
    widget_client: Any, queues: dict[str, Queue]
) -> None:
    client, conversation_id = await shopper(widget_client, "v-wait", "Anyone?")
    await client.send({"type": "position"})
    assert (await client.expect("queue.position"))["position"] == 1
    layer = get_channel_layer()
    group = events.queue_group(queues["general"].pk)

    def moved(stamp: int, ahead: int) -> dict[str, Any]:
        head = [[10_000_000 + n, time.time()] for n in range(ahead)] + [[conversation_id, time.time()]]
        payload = {
            "queue_id": queues["general"].pk,
            "stamp": stamp,
            "head": head,
            "releases": [0.0] * len(head),
            "slot_count": 0,
            "handle_seconds": 300.0,
            "offer_after": 180,
        }
        return {"type": "event", "id": None, "kind": "queue.moved", "payload": payload}

    now = time.time_ns()
    await layer.group_send(group, moved(now, ahead=1))
    await layer.group_send(group, moved(now - 1, ahead=0))  # built before the first, arrives after it
    await layer.group_send(group, moved(now + 1, ahead=2))
    assert [(await client.expect("queue.position"))["position"] for _ in range(2)] == [2, 3]
