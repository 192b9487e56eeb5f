"""What every live consumer shares."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

logger = logging.getLogger(__name__)

# The live stream missed events (chat.layers: Redis lost its subscriptions): reconnect and resume.
CLOSE_RESYNC = 4012
# The database is away: the client keeps what it has not sent and reconnects with backoff.
CLOSE_UNAVAILABLE = 4503
# What a lost or refused PostgreSQL connection raises.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


class LiveConsumer(AsyncWebsocketConsumer):
    """A WebSocket consumer whose every database access goes through ``database_sync_to_async``.

    Channels runs ``close_old_connections`` on the process' one database thread before *every*
    message it dispatches, group broadcasts included. ``database_sync_to_async`` already does that
    around each database call, so here the extra hop only queued each relayed event behind the
    messages being stored (9 % of a busy server's time and most of its relay latency), and is skipped.
    """

    _catching_up: asyncio.Task[None] | None = None
    caught_up_to = 0

    def start_catching_up(self) -> None:
        """Every SWITCHBOARD_CATCH_UP_SECONDS, send what was stored but never broadcast to this socket.

        The channel layer is at most once, and a process killed -9 between a commit and its broadcast
        loses the broadcast for good: a client connected to another process never reconnects, so it
        never resumes. One indexed read per socket and tick closes that gap (measured in
        tests/faults/test_daphne_kill.py; docs/reliability.md).
        """
        if self._catching_up is None and settings.SWITCHBOARD_CATCH_UP_SECONDS > 0:
            self._caught_up_at = timezone.now()
            self._catching_up = asyncio.create_task(self._catch_up_forever())

    def catch_up_window(self) -> tuple[int, datetime]:
        """What the next tick reads: ids after the previous tick's mark, and anything stored since
        two ticks before it. Resume is by the last id a client saw, and a lower id can arrive after
        a higher one (an acknowledgement overtakes a broadcast; commits finish out of id order): the
        time window finds those too. Clients drop an id they already show."""
        now = timezone.now()
        lookback = timedelta(seconds=2 * max(settings.SWITCHBOARD_CATCH_UP_SECONDS, 5))
        since = getattr(self, "_caught_up_at", now) - lookback
        self._caught_up_at = now
        return self.caught_up_to, since

    def stop_catching_up(self) -> None:
        if self._catching_up is not None:
            self._catching_up.cancel()
            self._catching_up = None

    async def _catch_up_forever(self) -> None:
        while True:
            await asyncio.sleep(settings.SWITCHBOARD_CATCH_UP_SECONDS)
            try:
                await self.catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup: the next tick tries again
                with contextlib.suppress(Exception):
                    logger.warning("Catch-up failed", exc_info=True)

    async def catch_up(self) -> None:
        """Send the stored events this socket missed (each consumer knows its own record)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Run the consumer; :meth:`finished` runs however it ends, a crash or a cancellation included.

        ``disconnect()`` runs only when the client's close reaches a healthy consumer; state a
        consumer keeps outside itself must also go when a frame crashes it.
        """
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.stop_catching_up()
            await self.finished()

    async def finished(self) -> None:
        """Release what the connection held; called once, after everything else."""

    async def layer_resubscribed(self, message: dict[str, Any]) -> None:
        """What was published while Redis was away reached nobody: the client resumes from the database."""
        await self.close(code=CLOSE_RESYNC)

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)
