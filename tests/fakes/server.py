"""A recording HTTP server on 127.0.0.1 (a free port) with scriptable per-method failures."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Recorded:
    """One request as the fake saw it: method name, merged parameters, when."""

    method: str
    params: dict[str, Any]
    path: str
    at: float = field(default_factory=time.monotonic)


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Reply:
        return cls(status, json.dumps(data).encode())


class FakeServer:
    """Subclasses implement :meth:`route`; tests script replies with :meth:`fail_next`."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._scripted: dict[str, deque[Reply]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._stalls: dict[str, int] = defaultdict(int)
        self._released = threading.Event()
        self.stalled: list[Recorded] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._serve(b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._serve(self.rfile.read(length))

            def _serve(self, body: bytes) -> None:
                reply = fake.handle(self.path, dict(self.headers), body)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller is gone (a worker killed mid-request): nobody to answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._scripted.clear()
            self._stalls.clear()
            self.stalled.clear()
        self._released.set()

    def stall_next(self, method: str, count: int = 1) -> None:
        """The next ``count`` calls of ``method`` hang unprocessed (as if they never reached the
        platform) until :meth:`release_stalled`, and are then answered 502 without effect."""
        with self._lock:
            self._stalls[method] += count
            self._released.clear()

    def release_stalled(self) -> None:
        self._released.set()

    def fail_next(self, method: str, *replies: Reply) -> None:
        """The next calls of ``method`` get these replies, in order; then normal service resumes."""
        with self._lock:
            self._scripted[method].extend(replies)

    def calls(self, method: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.method == method]

    def handle(self, raw_path: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(raw_path)
        params: dict[str, Any] = dict(parse_qsl(parts.query))
        params.update(parse_body(headers, body))
        method = self.method_of(parts.path)
        with self._lock:
            recorded = Recorded(method=method, params=params, path=parts.path)
            self.requests.append(recorded)
            stall = self._stalls[method] > 0
            if stall:
                self._stalls[method] -= 1
                self.stalled.append(recorded)
            scripted = self._scripted[method].popleft() if self._scripted[method] and not stall else None
        if stall:
            self._released.wait(timeout=300)
            return Reply.json({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502)
        if scripted is not None:
            return scripted
        return self.route(method, parts.path, params)

    def method_of(self, path: str) -> str:
        raise NotImplementedError

    def route(self, method: str, path: str, params: dict[str, Any]) -> Reply:
        raise NotImplementedError


def parse_body(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if not body:
        return {}
    if content_type.startswith("application/json"):
        data = json.loads(body)
        return data if isinstance(data, dict) else {}
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        out: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                # A file part stays bytes, whatever type the client claimed for it.
                out[str(name)] = part.get_payload(decode=True) if part.get_filename() else part.get_content()
        return out
    return dict(parse_qsl(body.decode(), keep_blank_values=True))
