"""Protocol clients that behave as widget.js and workspace.js do after a drop, over real sockets.

Each reconnects when its socket closes and resumes from the last id it saw; the shopper keeps every
message not yet acknowledged in an outbox and sends it again once the chat's state arrives. What
each side was shown is recorded by message id, as the pages render it (a repeat updates, never adds).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

import websockets
from django.db import connections
from websockets.typing import Origin

from chat.models import Message

RECONNECT_SECONDS = 0.3


def stored_messages(conversation_id: int) -> list[tuple[int, str, str]]:
    """``(id, author kind, text)`` of what the conversation holds, from a thread of its own."""
    try:
        return list(
            Message.objects.filter(conversation_id=conversation_id, is_note=False)
            .order_by("id")
            .values_list("id", "author_kind", "text")
        )
    finally:
        connections.close_all()


async def until(condition: Any, within: float, what: Any) -> None:
    """Poll an async condition; fail with ``what`` (or ``what()``) when it does not hold in time."""
    deadline = time.monotonic() + within
    while not await condition():
        assert time.monotonic() < deadline, f"not within {within} s: {what() if callable(what) else what}"
        await asyncio.sleep(0.1)


@dataclass
class Seen:
    """Messages a client shows, by id, and how often a frame tried to add one already shown."""

    texts: dict[int, str] = field(default_factory=dict)
    repeats: int = 0
    resumed_at: list[float] = field(default_factory=list)
    closes: list[int] = field(default_factory=list)

    def add(self, message: dict[str, Any]) -> None:
        if message["id"] in self.texts:
            self.repeats += 1
        self.texts[message["id"]] = message["text"]


class ShopperClient:
    def __init__(self, ws_url: str, token: str, origin: str) -> None:
        self.url = f"{ws_url}/ws/widget/"
        self.token = token
        self.origin = origin
        self.seen = Seen()
        self.outbox: dict[str, str] = {}
        self.conversation_id: int | None = None
        # As widget.js: resume after the newest id the stream brought, never after an acknowledgement.
        self.resume_id = 0
        self.errors: list[dict[str, Any]] = []
        self.socket: Any = None
        self.ready = False
        self.stopped = False

    async def run(self) -> None:
        while not self.stopped:
            try:
                async with websockets.connect(self.url, origin=Origin(self.origin), open_timeout=5) as ws:
                    self.socket = ws
                    hello: dict[str, Any] = {
                        "type": "hello",
                        "token": self.token,
                        "last_id": self.resume_id,
                        "language": "en",
                    }
                    if self.conversation_id:
                        hello["conversation_id"] = self.conversation_id
                    await ws.send(json.dumps(hello))
                    async for raw in ws:
                        await self._handle(json.loads(raw))
            except (TimeoutError, OSError, websockets.WebSocketException) as exc:
                code = getattr(getattr(exc, "rcvd", None), "code", None)
                if code is not None:
                    self.seen.closes.append(code)
            finally:
                self.socket, self.ready = None, False
            if not self.stopped:
                await asyncio.sleep(RECONNECT_SECONDS)

    async def _handle(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "state":
            self.ready = True
            self.seen.resumed_at.append(time.monotonic())
            self.conversation_id = frame["conversation_id"] or self.conversation_id
            for message in frame["messages"]:
                self.seen.add(message)
                self.resume_id = max(self.resume_id, message["id"])
            for client_id, text in list(self.outbox.items()):
                await self._send_message(client_id, text)
        elif frame["type"] == "message":
            if frame.get("client_id"):
                self.outbox.pop(frame["client_id"], None)
            else:
                self.resume_id = max(self.resume_id, frame["message"]["id"])
            self.conversation_id = frame["conversation_id"]
            self.seen.add(frame["message"])
        elif frame["type"] == "error":
            self.errors.append(frame)

    async def _send_message(self, client_id: str, text: str) -> None:
        if self.socket is not None and self.ready:
            with contextlib.suppress(websockets.WebSocketException):
                await self.socket.send(json.dumps({"type": "message", "text": text, "client_id": client_id}))

    async def say(self, text: str) -> None:
        client_id = uuid.uuid4().hex
        self.outbox[client_id] = text
        await self._send_message(client_id, text)

    async def stop(self) -> None:
        self.stopped = True
        if self.socket is not None:
            await self.socket.close()


class OperatorClient:
    def __init__(self, ws_url: str, http_url: str, session: str, api_token: str, origin: str) -> None:
        self.ws_url = f"{ws_url}/ws/workspace/"
        self.http_url = http_url
        self.session = session
        self.api_token = api_token
        self.origin = origin
        self.seen = Seen()
        self.last_event_id: int | None = None
        self.socket: Any = None
        self.stopped = False
        self.connected = asyncio.Event()

    async def run(self) -> None:
        while not self.stopped:
            query = f"?last_event_id={self.last_event_id}" if self.last_event_id is not None else ""
            try:
                async with websockets.connect(
                    self.ws_url + query,
                    origin=Origin(self.origin),
                    additional_headers={"Cookie": f"sessionid={self.session}"},
                    open_timeout=5,
                ) as ws:
                    self.socket = ws
                    async for raw in ws:
                        self._handle(json.loads(raw))
            except (TimeoutError, OSError, websockets.WebSocketException) as exc:
                code = getattr(getattr(exc, "rcvd", None), "code", None)
                if code is not None:
                    self.seen.closes.append(code)
            finally:
                self.socket = None
            if not self.stopped:
                await asyncio.sleep(RECONNECT_SECONDS)

    def _handle(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "hello":
            if self.last_event_id is None:
                self.last_event_id = frame["last_event_id"]
            else:
                self.seen.resumed_at.append(time.monotonic())
            self.connected.set()
        elif frame["type"] == "event":
            if frame.get("id"):
                self.last_event_id = max(self.last_event_id or 0, frame["id"])
            if frame["kind"] in ("message.new", "message.edited"):
                self.seen.add(frame["payload"])

    async def reply(self, conversation_id: int, text: str) -> int:
        """POST a reply as the workspace does; the operator presses Send again until it is taken."""
        while True:
            status = await asyncio.to_thread(self._post_reply, conversation_id, text)
            if status == 201:
                return status
            await asyncio.sleep(0.3)

    def _post_reply(self, conversation_id: int, text: str) -> int:
        request = urllib.request.Request(
            f"{self.http_url}/api/conversations/{conversation_id}/messages",
            data=json.dumps({"text": text}).encode(),
            headers={"Authorization": f"Bearer {self.api_token}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0

    async def stop(self) -> None:
        self.stopped = True
        if self.socket is not None:
            await self.socket.close()
