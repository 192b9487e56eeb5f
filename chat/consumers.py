"""What every live consumer shares."""

from __future__ import annotations

from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import InterfaceError, OperationalError

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

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Run the consumer; :meth:`finished` runs however it ends, a crash or a cancellation included.

        ``disconnect()`` runs only when the client's close reaches a healthy consumer; state a
        consumer keeps outside itself must also go when a frame crashes it.
        """
        try:
            await super().__call__(scope, receive, send)
        finally:
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
