"""A Bot API server: ``{"ok": true, "result": ...}`` for the methods the connector uses.

Files registered with :meth:`FakeTelegram.add_file` are served through ``getFile`` and
``/file/bot<token>/<path>``; :meth:`queue_update` feeds ``getUpdates``.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from tests.fakes.server import FakeServer, Reply

BOT_USER = {"id": 7000000001, "is_bot": True, "first_name": "Shop", "username": "shop_test_bot"}


def error(status: int, description: str, **parameters: Any) -> Reply:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Reply.json(body, status=status)


SERVER_ERROR = error(500, "Internal Server Error")
BLOCKED = error(403, "Forbidden: bot was blocked by the user")


def too_many_requests(retry_after: int) -> Reply:
    return error(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


class FakeTelegram(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(1000)
        self.files: dict[str, tuple[str, bytes]] = {}
        self.updates: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        # Messages the fake actually accepted (scripted failures never reach it).
        self.delivered: list[dict[str, Any]] = []
        # Files sent with sendPhoto / sendDocument: (kind, bytes, caption).
        self.uploaded: list[tuple[str, bytes, str]] = []

    def reset(self) -> None:
        super().reset()
        self.files.clear()
        self.updates.clear()
        self.delivered.clear()
        self.uploaded.clear()

    def add_file(self, file_id: str, content: bytes, path: str) -> None:
        self.files[file_id] = (path, content)

    def queue_update(self, update: dict[str, Any]) -> None:
        self.updates.append(update)

    def sent_texts(self) -> list[str]:
        return [r.params["text"] for r in self.calls("sendMessage")]

    def method_of(self, path: str) -> str:
        if path.startswith("/file/"):
            return "file"
        return path.rsplit("/", 1)[-1]

    def route(self, method: str, path: str, params: dict[str, Any]) -> Reply:
        if method == "file":
            wanted = path.split("/", 3)[3]
            for file_path, content in self.files.values():
                if file_path == wanted:
                    return Reply(200, content, "application/octet-stream")
            return Reply(404, b"not found", "text/plain")
        handler = getattr(self, f"do_{method}", None)
        if handler is None:
            return Reply.json({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return Reply.json({"ok": True, "result": handler(params)})

    def do_getMe(self, params: dict[str, Any]) -> Any:
        return BOT_USER

    def do_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "from": BOT_USER,
            "chat": {"id": chat_id, "type": "private"},
            "text": params["text"],
        }
        if params.get("reply_markup"):
            markup = params["reply_markup"]
            message["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
        self.delivered.append(message)
        return message

    def _file_message(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        """sendPhoto / sendDocument: the file arrives as a multipart part named after its kind."""
        content = params[kind]
        if not isinstance(content, bytes | bytearray):
            raise ValueError(f"{kind} must be uploaded as a file")
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "from": BOT_USER,
            "chat": {"id": int(params["chat_id"]), "type": "private"},
        }
        n = message["message_id"]
        file = {"file_id": f"f{n}", "file_unique_id": f"u{n}", "file_size": len(content), "width": 1, "height": 1}
        message["photo" if kind == "photo" else "document"] = [file] if kind == "photo" else file
        if params.get("caption"):
            message["caption"] = params["caption"]
        self.uploaded.append((kind, bytes(content), params.get("caption", "")))
        self.delivered.append(message)
        return message

    def do_sendPhoto(self, params: dict[str, Any]) -> Any:
        return self._file_message(params, "photo")

    def do_sendDocument(self, params: dict[str, Any]) -> Any:
        return self._file_message(params, "document")

    def do_getFile(self, params: dict[str, Any]) -> Any:
        file_path, content = self.files[params["file_id"]]
        return {
            "file_id": params["file_id"],
            "file_unique_id": "u" + params["file_id"],
            "file_size": len(content),
            "file_path": file_path,
        }

    def do_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    def do_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        return True

    def do_setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook["url"] = params.get("url", "")
        return True

    def do_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook["url"] = ""
        return True

    def do_setMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    def do_setChatMenuButton(self, params: dict[str, Any]) -> Any:
        return True

    def do_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        return self.webhook

    def do_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        return [u for u in self.updates if u["update_id"] >= offset]
