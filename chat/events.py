"""Live events, published only after the transaction that caused them commits.

Two streams: the widget follows ``conversation.<id>`` (messages are its record, so nothing is stored
for it here); the workspace follows ``operator.<id>``, ``staff`` and ``managers``, whose events are
stored in :class:`chat.models.Event` so a reconnecting client replays what it missed.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

from chat.models import Event

logger = logging.getLogger(__name__)

STAFF = "staff"
MANAGERS = "managers"


def conversation_group(conversation_id: int) -> str:
    return f"conversation.{conversation_id}"


def queue_group(queue_id: int) -> str:
    """Every widget whose chat waits in this queue: one ``queue.moved`` reaches them all."""
    return f"queue.{queue_id}"


OPERATOR_GROUP_PREFIX = "operator."


def operator_group(operator_id: int) -> str:
    return f"{OPERATOR_GROUP_PREFIX}{operator_id}"


async def _send_all(layer: Any, groups_and_messages: list[tuple[str, dict[str, Any]]]) -> None:
    for group, message in groups_and_messages:
        await layer.group_send(group, message)


_sync_loop: tuple[int, asyncio.AbstractEventLoop] | None = None
_sync_loop_lock = threading.Lock()


def _loop_for_sync_callers() -> asyncio.AbstractEventLoop:
    """One event loop per process, in a daemon thread, for callers with no server loop (Celery,
    commands). A fresh loop per send (what async_to_sync does there) also opens a fresh Redis
    connection: 15-120 ms a send in bench/, 40% of a queued arrival's time."""
    global _sync_loop
    with _sync_loop_lock:
        if _sync_loop is None or _sync_loop[0] != os.getpid():  # a forked worker needs its own
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="events-send", daemon=True).start()
            _sync_loop = (os.getpid(), loop)
            atexit.register(flush_sends)
        return _sync_loop[1]


def _in_server_thread() -> bool:
    """True in an ASGI server's worker thread (inside sync_to_async), as asgiref itself decides."""
    local = SyncToAsync.threadlocal
    return getattr(local, "main_event_loop_pid", None) == os.getpid() and bool(getattr(local, "main_event_loop", None))


# Per server loop, the newest send: each send waits for the one before it, so order is kept.
_last_send: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[None]] = weakref.WeakKeyDictionary()


async def _send_after(previous: asyncio.Task[None] | None, layer: Any, batch: list[tuple[str, dict[str, Any]]]) -> None:
    if previous is not None and not previous.done():
        await asyncio.wait([previous])
    try:
        await _send_all(layer, batch)
    except Exception:  # a lost broadcast is replayed from Event on reconnect; never kill the chain
        logger.exception("Broadcast of %d event(s) failed", len(batch))


def _queue_on_loop(layer: Any, batch: list[tuple[str, dict[str, Any]]]) -> None:
    """Runs on the server loop: chain this send behind the previous one."""
    loop = asyncio.get_running_loop()
    _last_send[loop] = loop.create_task(_send_after(_last_send.get(loop), layer, batch))


def _send(groups_and_messages: list[tuple[str, dict[str, Any]]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    if _in_server_thread():
        # Hand the batch to the server's loop and return: the process' one database thread must not
        # wait for the loop (busy with every socket) and for Redis before its next message.
        loop = SyncToAsync.threadlocal.main_event_loop
        loop.call_soon_threadsafe(_queue_on_loop, layer, groups_and_messages)
        return
    if isinstance(layer, InMemoryChannelLayer):
        # The in-memory layer's queues must stay on the loop that reads them.
        async_to_sync(_send_all)(layer, groups_and_messages)
        return
    # Celery workers and commands: the process' own sending loop, chained the same way. Waiting for
    # each send cost a worker 5-12 ms per event in thread hand-offs on a 2-core machine.
    _loop_for_sync_callers().call_soon_threadsafe(_queue_on_loop, layer, groups_and_messages)


def flush_sends(timeout: float = 5.0) -> None:
    """Wait until this process' queued broadcasts are out (a command about to exit, a test)."""
    if _sync_loop is None or _sync_loop[0] != os.getpid():
        return
    loop = _sync_loop[1]

    async def last() -> None:
        task = _last_send.get(loop)
        if task is not None and not task.done():
            await asyncio.wait([task])

    asyncio.run_coroutine_threadsafe(last(), loop).result(timeout=timeout)


def emit(kind: str, payload: Mapping[str, Any], *, audiences: Iterable[str]) -> None:
    """Store the event for each workspace audience and broadcast it after commit."""
    emit_all([(kind, payload, audiences)])


def emit_all(items: Iterable[tuple[str, Mapping[str, Any], Iterable[str]]]) -> None:
    """Several ``(kind, payload, audiences)`` events stored in one INSERT and sent in one batch."""
    rows = Event.objects.bulk_create(
        [
            Event(audience=audience, kind=kind, payload=dict(payload))
            for kind, payload, audiences in items
            for audience in dict.fromkeys(audiences)
        ]
    )
    batch = [(row.audience, {"type": "event", "id": row.pk, "kind": row.kind, "payload": row.payload}) for row in rows]
    transaction.on_commit(lambda: _send(batch), robust=True)


def broadcast_stored(kind: str, payload: Mapping[str, Any], stored: Iterable[tuple[int, str]]) -> None:
    """Broadcast after commit events the caller stored itself, as ``(event id, audience)`` pairs."""
    batch = [(audience, {"type": "event", "id": pk, "kind": kind, "payload": dict(payload)}) for pk, audience in stored]
    transaction.on_commit(lambda: _send(batch), robust=True)


def emit_ephemeral(kind: str, payload: Mapping[str, Any], *, groups: Iterable[str]) -> None:
    """Broadcast something that needs no replay (typing, queue position) after commit."""
    batch = [(group, {"type": "event", "id": None, "kind": kind, "payload": dict(payload)}) for group in groups]
    transaction.on_commit(lambda: _send(batch), robust=True)


def emit_to_conversation(conversation_id: int, kind: str, payload: Mapping[str, Any]) -> None:
    """Broadcast to the shopper's widget for this conversation after commit."""
    emit_ephemeral(kind, payload, groups=[conversation_group(conversation_id)])


def emit_to_conversations(kind: str, payloads: Mapping[int, Mapping[str, Any]]) -> None:
    """Broadcast to many widgets, each conversation its own payload, in one send after commit."""
    batch = [
        (conversation_group(conversation_id), {"type": "event", "id": None, "kind": kind, "payload": dict(payload)})
        for conversation_id, payload in payloads.items()
    ]
    if batch:
        transaction.on_commit(lambda: _send(batch), robust=True)


async def relay_typing(*, conversation_id: int, author_kind: str, operator_id: int | None, name: str = "") -> None:
    """Pass a typing indicator on right away: nothing is stored, a lost one costs nothing.

    A shopper's typing goes to the assigned operator's stream; an operator's to the shopper's widget.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    message = {
        "type": "event",
        "id": None,
        "kind": "typing",
        "payload": {"conversation_id": conversation_id, "author_kind": author_kind, "name": name},
    }
    if author_kind == "shopper":
        if operator_id is not None:
            await layer.group_send(operator_group(operator_id), message)
    else:
        await layer.group_send(conversation_group(conversation_id), message)
