"""Shoppers and operators as their browsers behave, over real HTTP and WebSockets (through nginx).

A :class:`Shopper` speaks the widget protocol like widget.js: a ``client_id`` per message, an outbox
resent after every ``state`` until acknowledged, reconnects with backoff, ``hello`` with the last id
seen; it shows each message id once. An :class:`Operator` follows ``/ws/workspace/`` like
workspace.js (reconnects with ``last_event_id``, one message per id) and replies through the API.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from websockets.typing import Origin


async def eventually(check: Callable[[], Any], seconds: float) -> bool:
    """Poll a blocking ``check`` (database reads, HTTP) from a thread until it holds or time is up."""
    for _ in range(int(seconds / 0.2)):
        if await asyncio.to_thread(check):
            return True
        await asyncio.sleep(0.2)
    return bool(await asyncio.to_thread(check))


async def _close_when(stop: asyncio.Event, socket: Any) -> None:
    await stop.wait()
    await socket.close()


def login(base_url: str, username: str, password: str) -> httpx.Client:
    """A signed-in workspace session (cookies kept), as the login form gives it."""
    client = httpx.Client(base_url=base_url, timeout=10, follow_redirects=False)
    client.get("/workspace/login/")
    answer = client.post(
        "/workspace/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": client.cookies["csrftoken"]},
        headers={"Referer": f"{base_url}/workspace/login/", "Origin": base_url},
    )
    assert answer.status_code == 302, answer.text[:500]
    return client


@dataclass
class Shopper:
    base_url: str
    name: str
    token: str = ""
    conversation_id: int | None = None
    shown: dict[int, dict[str, Any]] = field(default_factory=dict)  # message id -> message, once each
    outbox: dict[str, str] = field(default_factory=dict)  # client_id -> text, until acknowledged
    sent: dict[str, str] = field(default_factory=dict)  # every client_id ever written -> text
    reconnects: int = 0
    resumed_after: list[float] = field(default_factory=list)
    socket: Any = None
    _connected: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/ws/widget/"

    async def session(self) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10) as client:
            answer = await client.post("/connectors/widget/session/", json={})
            self.token = answer.json()["token"]

    async def run(self, stop: asyncio.Event) -> None:
        """Stay connected until ``stop``; after a drop, reconnect (0.2 s doubling to 2 s) and resume."""
        delay = 0.2
        dropped_at: float | None = None
        closer: asyncio.Task[None] | None = None
        while not stop.is_set():
            try:
                async with websockets.connect(self.ws_url, origin=Origin(self.base_url), open_timeout=5) as socket:
                    last_id = max(self.shown, default=0)
                    hello: dict[str, Any] = {"type": "hello", "token": self.token, "last_id": last_id}
                    if self.conversation_id:
                        hello["conversation_id"] = self.conversation_id
                    await socket.send(json.dumps(hello))
                    self.socket = socket
                    closer = asyncio.create_task(_close_when(stop, socket))
                    async for raw in socket:
                        frame = json.loads(raw)
                        if frame["type"] == "state":
                            self.conversation_id = frame["conversation_id"] or self.conversation_id
                            for message in frame["messages"]:
                                self.shown.setdefault(message["id"], message)
                            if dropped_at is not None:
                                self.resumed_after.append(time.monotonic() - dropped_at)
                                dropped_at = None
                            delay = 0.2
                            self._connected.set()
                            for client_id, text in list(self.outbox.items()):
                                await self._send(client_id, text)
                        elif frame["type"] == "message":
                            message = frame["message"]
                            self.shown.setdefault(message["id"], message)
                            self.conversation_id = frame["conversation_id"]
                            self.outbox.pop(frame.get("client_id") or "", None)
                        if stop.is_set():
                            return
            except (OSError, websockets.WebSocketException, TimeoutError):
                pass
            finally:
                if closer is not None:
                    closer.cancel()
                    closer = None
            self.socket = None
            self._connected.clear()
            if stop.is_set():
                return
            if dropped_at is None:
                dropped_at = time.monotonic()
                self.reconnects += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def _send(self, client_id: str, text: str) -> None:
        frame: dict[str, Any] = {"type": "message", "text": text, "client_id": client_id}
        if self.conversation_id:
            frame["conversation_id"] = self.conversation_id
        # On failure it stays in the outbox: resent after the next state.
        with contextlib.suppress(OSError, websockets.WebSocketException, AttributeError):
            await self.socket.send(json.dumps(frame))

    async def write(self, text: str) -> None:
        client_id = uuid.uuid4().hex
        self.outbox[client_id] = text
        self.sent[client_id] = text
        if self.socket is not None and self._connected.is_set():
            await self._send(client_id, text)

    async def connected(self) -> None:
        async with asyncio.timeout(20):
            await self._connected.wait()


@dataclass
class Operator:
    base_url: str
    session: httpx.Client
    operator_id: int = 0
    last_event_id: int = 0
    shown: dict[int, dict[str, Any]] = field(default_factory=dict)  # message id -> payload, once each
    replies_sent: list[str] = field(default_factory=list)  # texts the API accepted (2xx)
    replies_retried: int = 0
    reconnects: int = 0
    resumed_after: list[float] = field(default_factory=list)
    _connected: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.session.cookies.items())

    async def run(self, stop: asyncio.Event) -> None:
        delay = 0.2
        dropped_at: float | None = None
        closer: asyncio.Task[None] | None = None
        while not stop.is_set():
            url = self.base_url.replace("http://", "ws://") + "/ws/workspace/"
            if self.last_event_id:
                url += f"?last_event_id={self.last_event_id}"
            try:
                async with websockets.connect(
                    url, origin=Origin(self.base_url), additional_headers={"Cookie": self.cookie_header}, open_timeout=5
                ) as socket:
                    closer = asyncio.create_task(_close_when(stop, socket))
                    async for raw in socket:
                        frame = json.loads(raw)
                        if frame["type"] == "hello":
                            self.operator_id = frame["operator_id"]
                            self.last_event_id = self.last_event_id or frame["last_event_id"]
                            if dropped_at is not None:
                                self.resumed_after.append(time.monotonic() - dropped_at)
                                dropped_at = None
                            delay = 0.2
                            self._connected.set()
                        elif frame["type"] == "event":
                            if frame.get("id"):
                                self.last_event_id = max(self.last_event_id, frame["id"])
                            if frame["kind"] == "message.new":
                                payload = frame["payload"]
                                self.shown.setdefault(payload["id"], payload)
                        if stop.is_set():
                            return
            except (OSError, websockets.WebSocketException, TimeoutError):
                pass
            finally:
                if closer is not None:
                    closer.cancel()
                    closer = None
            self._connected.clear()
            if stop.is_set():
                return
            if dropped_at is None:
                dropped_at = time.monotonic()
                self.reconnects += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)

    async def connected(self) -> None:
        async with asyncio.timeout(20):
            await self._connected.wait()

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.session.request(
            method, f"/api{path}", json=body, headers={"X-CSRFToken": self.session.cookies.get("csrftoken") or ""}
        )

    def reply(self, conversation_id: int, text: str) -> None:
        """Send like a person: a reply refused by a dying server (502) is sent again."""
        for _ in range(20):
            try:
                answer = self.api("POST", f"/conversations/{conversation_id}/messages", {"text": text})
            except httpx.HTTPError:
                answer = None
            if answer is not None and answer.status_code < 300:
                self.replies_sent.append(text)
                return
            self.replies_retried += 1
            time.sleep(0.3)
        raise AssertionError(f"reply {text!r} never accepted: {answer and answer.text[:300]}")
