"""The workspace's live stream at ``/ws/workspace/``: events in, typing out, nothing that writes.

Order matters: the consumer joins its groups first, then replays stored events newer than the
client's ``last_event_id``, so nothing falls between the replay and the live stream; events seen in
both are sent once. Writes go through the JSON API, never through this socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import deque
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.conf import settings
from django.db.models import Max, Q

from chat import actions, events
from chat.consumers import CLOSE_UNAVAILABLE, DATABASE_UNAVAILABLE, LiveConsumer
from chat.models import Conversation, ConversationState, Event, Operator

logger = logging.getLogger(__name__)

REPLAY_LIMIT = 5000
SENT_IDS_KEPT = 2000
# Pending offline checks, kept referenced so the loop does not drop them.
_offline_checks: set[asyncio.Task[Any]] = set()


def _operator_for(user: Any) -> Operator | None:
    if user is None or not user.is_authenticated:
        return None
    return Operator.objects.filter(user=user).first()


def _stored_events(audiences: list[str], after_id: int) -> list[dict[str, Any]]:
    rows = Event.objects.filter(audience__in=audiences, pk__gt=after_id).order_by("id")[:REPLAY_LIMIT]
    return [{"type": "event", "id": row.pk, "kind": row.kind, "payload": row.payload} for row in rows]


def _events_to_catch_up(audiences: list[str], after_id: int, since: datetime) -> list[dict[str, Any]]:
    rows = (
        Event.objects.filter(audience__in=audiences)
        .filter(Q(pk__gt=after_id) | Q(created_at__gte=since))
        .order_by("id")[:REPLAY_LIMIT]
    )
    return [{"type": "event", "id": row.pk, "kind": row.kind, "payload": row.payload} for row in rows]


def _latest_event_id(audiences: list[str]) -> int:
    return Event.objects.filter(audience__in=audiences).aggregate(latest=Max("id"))["latest"] or 0


def _owns_active_chat(operator_id: int, conversation_id: int) -> bool:
    return Conversation.objects.filter(
        pk=conversation_id, operator_id=operator_id, state=ConversationState.ACTIVE
    ).exists()


def _schedule_offline_check() -> None:
    """After the grace period, set offline whoever is still gone (the beat task covers crashes)."""

    def check() -> None:
        task = asyncio.ensure_future(database_sync_to_async(actions.do_sweep_disconnected_operators)())
        _offline_checks.add(task)
        task.add_done_callback(_offline_checks.discard)

    asyncio.get_running_loop().call_later(settings.SWITCHBOARD_OFFLINE_GRACE_SECONDS + 1, check)


class WorkspaceConsumer(LiveConsumer):
    operator_id: int | None = None
    groups_joined: list[str]
    connection_key: str = ""
    heartbeat: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.groups_joined = []
        self.sent_ids: deque[int] = deque(maxlen=SENT_IDS_KEPT)
        operator = await database_sync_to_async(_operator_for)(self.scope.get("user"))
        if operator is None:
            await self.close(code=4401)
            return
        self.operator_id = operator.pk
        self.operator_name = operator.display_name
        audiences = [events.operator_group(operator.pk), events.STAFF]
        if operator.is_manager:
            audiences.append(events.MANAGERS)
        for group in audiences:
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = audiences
        await self.accept()
        self.connection_key = uuid.uuid4().hex
        await database_sync_to_async(actions.do_operator_connected)(
            operator_id=operator.pk, connection_key=self.connection_key
        )
        self.heartbeat = asyncio.ensure_future(self._beat())
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        requested = query.get("last_event_id", [""])[0]
        latest = await database_sync_to_async(_latest_event_id)(audiences)
        await self._send_json({"type": "hello", "operator_id": operator.pk, "last_event_id": latest})
        if requested:
            await self._resume(requested)
        # Catch-up starts from what this socket has been told exists (hello or the resume point).
        self.caught_up_to = max(latest, int(requested) if requested.isdigit() else 0)
        self.start_catching_up()

    async def disconnect(self, code: int) -> None:
        self.stop_catching_up()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        await self._gone()

    async def finished(self) -> None:
        # A frame that crashed the consumer skipped disconnect(): the connection row goes here.
        with contextlib.suppress(Exception):
            await self._gone()

    async def _gone(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.cancel()
            self.heartbeat = None
        if self.operator_id is not None and self.connection_key:
            key, self.connection_key = self.connection_key, ""
            await database_sync_to_async(actions.do_operator_disconnected)(
                operator_id=self.operator_id, connection_key=key
            )
            _schedule_offline_check()

    async def _beat(self) -> None:
        """Keep this connection's row fresh while the consumer lives; a dead process stops beating."""
        assert self.operator_id is not None
        while True:
            await asyncio.sleep(settings.SWITCHBOARD_PRESENCE_HEARTBEAT_SECONDS)
            try:
                await database_sync_to_async(actions.do_operator_heartbeat)(
                    operator_id=self.operator_id, connection_key=self.connection_key
                )
            except DATABASE_UNAVAILABLE:
                # Nothing can be stored or read now: the page shows it is reconnecting, and
                # resumes from its last event id once the database is back.
                logger.warning("Database unavailable: workspace socket closed for a reconnect")
                await self.close(code=CLOSE_UNAVAILABLE)
                return
            except Exception:  # a beat that fails otherwise must not end the beating
                logger.exception("Presence heartbeat failed")

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            await self._error("invalid_frame", "Send JSON text frames.")
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            await self._error("invalid_frame", "The frame is not valid JSON.")
            return
        if not isinstance(frame, dict):
            await self._error("invalid_frame", "A frame is a JSON object with a type.")
            return
        kind = frame.get("type")
        if kind == "resume":
            await self._resume(frame.get("last_event_id"))
        elif kind == "typing":
            await self._typing(frame.get("conversation_id"))
        elif kind == "ping":
            await self._send_json({"type": "pong"})
        else:
            await self._error("unknown_type", f"Unknown frame type {kind!r}; use resume, typing or ping.")

    async def _resume(self, raw_last_id: Any) -> None:
        try:
            last_id = int(raw_last_id)
        except (TypeError, ValueError):
            await self._error("invalid_frame", "last_event_id must be a whole number.")
            return
        stored = await database_sync_to_async(_stored_events)(self.groups_joined, max(last_id, 0))
        for event in stored:
            await self.event(event)
        if len(stored) < REPLAY_LIMIT:
            await self._send_json({"type": "resumed"})
        else:
            # Too far behind (or pruned): the client reloads its state from the API instead.
            await self._send_json({"type": "resync"})

    async def catch_up(self) -> None:
        """Stored events that never reached this socket (a process died between commit and
        broadcast), by ``catch_up_window``. Sent once here: ``event`` drops ids it sent."""
        after, since = self.catch_up_window()
        self.caught_up_to = max([after, *self.sent_ids])
        for event in await database_sync_to_async(_events_to_catch_up)(self.groups_joined, after, since):
            await self.event(event)

    async def _typing(self, raw_conversation_id: Any) -> None:
        if not isinstance(raw_conversation_id, int) or isinstance(raw_conversation_id, bool):
            await self._error("invalid_frame", "conversation_id must be a number.")
            return
        assert self.operator_id is not None
        if not await database_sync_to_async(_owns_active_chat)(self.operator_id, raw_conversation_id):
            await self._error("forbidden", "This is not your active conversation.", conversation_id=raw_conversation_id)
            return
        await events.relay_typing(
            conversation_id=raw_conversation_id,
            author_kind="operator",
            operator_id=self.operator_id,
            name=self.operator_name,
        )

    async def event(self, message: dict[str, Any]) -> None:
        """A live or replayed event: forwarded once, whichever way it came first."""
        event_id = message.get("id")
        if event_id is not None:
            if event_id in self.sent_ids:
                return
            self.sent_ids.append(event_id)
        await self._send_json(
            {"type": "event", "id": event_id, "kind": message.get("kind"), "payload": message.get("payload")}
        )

    async def _error(self, code: str, message: str, **extra: Any) -> None:
        await self._send_json({"type": "error", "code": code, "message": message, **extra})

    async def _send_json(self, data: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(data, ensure_ascii=False))
