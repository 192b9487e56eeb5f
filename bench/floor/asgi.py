"""ASGI app of the floor: ``/ws/floor/shopper/<pair>/`` relays every frame to ``/ws/floor/operator/<pair>/``."""

from __future__ import annotations

import os
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.floor.settings")
django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402


class RelayConsumer(AsyncWebsocketConsumer):
    """Shoppers' frames go to their pair's group; operators join that group and get them."""

    async def connect(self) -> None:
        kwargs = self.scope["url_route"]["kwargs"]
        self.role: str = kwargs["role"]
        self.group = f"pair.{kwargs['pair']}"
        if self.role == "operator":
            await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.role == "operator":
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.role == "shopper" and text_data is not None:
            await self.channel_layer.group_send(self.group, {"type": "relay", "text": text_data})

    async def relay(self, message: dict[str, Any]) -> None:
        await self.send(text_data=message["text"])


application = ProtocolTypeRouter(
    {"websocket": URLRouter([path("ws/floor/<str:role>/<int:pair>/", RelayConsumer.as_asgi())])}
)
