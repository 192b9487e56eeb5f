"""Widget test helpers: a WebSocket client speaking the widget protocol through the real ASGI app."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections

from chat.models import Message
from config.asgi import application

ORIGIN = (b"origin", b"http://127.0.0.1:8000")


class WidgetClient:
    """A shopper's socket: ``send`` a frame, ``receive`` the next one, ``expect`` one of a type."""

    def __init__(self, path: str = "/ws/widget/") -> None:
        self.communicator = WebsocketCommunicator(application, path, headers=[ORIGIN])

    async def connect(self) -> WidgetClient:
        # A busy machine (two shared cores) may take longer than the default second to hand shake.
        connected, _ = await self.communicator.connect(timeout=10)
        assert connected
        return self

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.communicator.send_to(text_data=frame if isinstance(frame, str) else json.dumps(frame))

    async def receive(self, wait: float = 3) -> dict[str, Any]:
        return json.loads(await self.communicator.receive_from(timeout=wait))

    async def expect(self, kind: str, wait: float = 3) -> dict[str, Any]:
        """The next frame of this type, skipping others (queue positions arrive whenever they like)."""
        for _ in range(20):
            frame = await self.receive(wait)
            if frame["type"] == kind:
                return frame
        raise AssertionError(f"no {kind} frame")

    async def hello(self, token: str, **extra: Any) -> dict[str, Any]:
        await self.send({"type": "hello", "token": token, **extra})
        return await self.expect("state")

    async def nothing_more(self) -> bool:
        return await self.communicator.receive_nothing(timeout=0.3)

    async def close(self) -> None:
        await self.communicator.disconnect()


@pytest.fixture
async def widget_client() -> Any:
    """``await widget_client()`` connects a fresh shopper socket; all are closed after the test.

    Consumers reach the database from asgiref's worker thread; its connection is closed afterwards
    too, so the test database can be flushed and dropped.
    """
    clients: list[WidgetClient] = []

    async def make(path: str = "/ws/widget/") -> WidgetClient:
        client = await WidgetClient(path).connect()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()
    await database_sync_to_async(connections.close_all)()


async def texts(conversation_id: int) -> list[str]:
    """The conversation's message texts as stored, oldest first."""
    return await database_sync_to_async(
        lambda: list(
            Message.objects.filter(conversation_id=conversation_id).order_by("id").values_list("text", flat=True)
        )
    )()
