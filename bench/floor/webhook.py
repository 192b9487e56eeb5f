"""The webhook floor: a bare ASGI endpoint that stores the body with one INSERT and answers 200.

Mounted on Switchboard's own daphne only when ``BENCH_WEBHOOK_FLOOR`` is on (config/asgi.py), so the
benchmark compares the real webhooks with the least an acknowledgement can cost on the same process,
database and network path: no Django request, no middleware, no thread hop, no broker. The table is
the benchmark's own (created here, never by a migration).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

PATH = "/bench/webhook-floor/"
TABLE = "bench_webhook_floor"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_pool: Any = None
_opening = asyncio.Lock()


def _conninfo() -> str:
    from django.db import connection
    from psycopg.conninfo import make_conninfo

    db = connection.settings_dict
    return make_conninfo(
        dbname=db["NAME"], user=db.get("USER") or None, password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None, port=db.get("PORT") or None,
    )  # fmt: skip


async def _connections() -> Any:
    """One async pool per process, opened on the first post (daphne gives Django no lifespan)."""
    global _pool
    async with _opening:
        if _pool is None:
            from psycopg_pool import AsyncConnectionPool

            pool = AsyncConnectionPool(_conninfo(), min_size=2, max_size=10, kwargs={"autocommit": True}, open=False)
            await pool.open()
            async with pool.connection() as conn:
                await conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, body jsonb NOT NULL,"
                    " received_at timestamptz NOT NULL DEFAULT now())"
                )
            _pool = pool
    return _pool


async def webhook_floor(scope: Scope, receive: Receive, send: Send) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    pool = _pool or await _connections()
    async with pool.connection() as conn:
        await conn.execute(f"INSERT INTO {TABLE} (body) VALUES (%s::jsonb)", [body.decode()])
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"ok": true}'})


def with_webhook_floor(app: ASGIApp) -> ASGIApp:
    """``app`` with ``POST /bench/webhook-floor/`` answered by :func:`webhook_floor`."""

    async def routed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "POST":
            await webhook_floor(scope, receive, send)
        else:
            await app(scope, receive, send)

    return routed
