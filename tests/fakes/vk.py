"""A VK API server: ``{"response": ...}`` / ``{"error": {...}}``, plus Bots Long Poll and photo files."""

from __future__ import annotations

import itertools
from typing import Any

from tests.fakes.server import FakeServer, Reply

USERS = {"1234567": {"id": 1234567, "first_name": "Ivan", "last_name": "Petrov"}}


def api_error(code: int, message: str) -> Reply:
    return Reply.json({"error": {"error_code": code, "error_msg": message, "request_params": []}})


TOO_MANY_REQUESTS = api_error(6, "Too many requests per second")
INTERNAL_ERROR = api_error(10, "Internal server error")
PRIVACY = api_error(901, "Can't send messages for users without permission")
HTTP_SERVER_ERROR = Reply(502, b"<html>Bad Gateway</html>", "text/html")


class FakeVk(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(500)
        self._ts = itertools.count(2)
        self.events: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}
        self._sent_random_ids: dict[int, int] = {}
        self._lose_answers = 0
        # Files uploaded for messages, by the attachment name messages.send refers to them by.
        self.uploads: dict[str, bytes] = {}
        self._pending_uploads: dict[str, tuple[str, bytes]] = {}

    def reset(self) -> None:
        super().reset()
        self.events.clear()
        self.files.clear()
        self._sent_random_ids.clear()
        self._lose_answers = 0
        self.uploads.clear()
        self._pending_uploads.clear()

    def lose_next_answer(self) -> None:
        """The next ``messages.send`` is delivered, but its answer is lost (a gateway error)."""
        self._lose_answers += 1

    def method_of(self, path: str) -> str:
        if path.startswith("/method/"):
            return path[len("/method/") :]
        if path.startswith("/lp"):
            return "longpoll"
        if path.startswith("/upload/"):
            return "upload"
        return "file"

    def sent(self) -> list[dict[str, Any]]:
        """``messages.send`` calls VK accepted (a repeated ``random_id`` is not delivered twice)."""
        return [r.params for r in self.calls("messages.send")]

    def route(self, method: str, path: str, params: dict[str, Any]) -> Reply:
        if method == "file":
            content = self.files.get(path)
            return Reply(200, content, "image/jpeg") if content is not None else Reply(404, b"", "text/plain")
        if method == "upload":
            # The upload server VK names: takes the multipart file, answers what the save call needs.
            kind = path.rsplit("/", 1)[-1]
            upload = next((value for value in params.values() if isinstance(value, bytes | bytearray)), None)
            if upload is None:
                return Reply.json({"error": "no file"}, status=400)
            token = f"t{next(self._ids)}"
            self._pending_uploads[token] = (kind, bytes(upload))
            if kind == "photo":
                return Reply.json({"server": 1, "photo": token, "hash": "h"})
            return Reply.json({"file": token})
        if method == "longpoll":
            events, self.events = self.events, []
            return Reply.json({"ts": str(next(self._ts)), "updates": events})
        if params.get("access_token") in (None, ""):
            return api_error(5, "User authorization failed: no access_token passed.")
        if method == "messages.send":
            random_id = int(params["random_id"])
            if random_id and random_id in self._sent_random_ids:
                # VK answers a repeated random_id with the id of the message it already sent.
                return Reply.json({"response": self._sent_random_ids[random_id]})
            message_id = next(self._ids)
            if random_id:
                self._sent_random_ids[random_id] = message_id
            if self._lose_answers:
                self._lose_answers -= 1
                return HTTP_SERVER_ERROR
            return Reply.json({"response": message_id})
        if method == "photos.getMessagesUploadServer":
            return Reply.json({"response": {"upload_url": f"{self.url}/upload/photo", "album_id": 1, "group_id": 1}})
        if method == "docs.getMessagesUploadServer":
            return Reply.json({"response": {"upload_url": f"{self.url}/upload/doc"}})
        if method in ("photos.saveMessagesPhoto", "docs.save"):
            token = str(params.get("photo") or params.get("file") or "")
            if token not in self._pending_uploads:
                return api_error(100, "One of the parameters specified was missing or invalid: file")
            kind, content = self._pending_uploads.pop(token)
            item_id = next(self._ids)
            if kind == "photo":
                self.uploads[f"photo-1_{item_id}_k{item_id}"] = content
                return Reply.json({"response": [{"id": item_id, "owner_id": -1, "access_key": f"k{item_id}"}]})
            self.uploads[f"doc-1_{item_id}"] = content
            doc = {"id": item_id, "owner_id": -1, "title": params.get("title", "")}
            return Reply.json({"response": {"type": "doc", "doc": doc}})
        if method == "users.get":
            ids = str(params.get("user_ids", "")).split(",")
            found = [USERS.get(i, {"id": int(i), "first_name": "", "last_name": ""}) for i in ids]
            return Reply.json({"response": found})
        if method == "messages.sendMessageEventAnswer":
            return Reply.json({"response": 1})
        if method == "groups.getLongPollServer":
            return Reply.json({"response": {"key": "lpkey", "server": f"{self.url}/lp", "ts": "1"}})
        return api_error(3, "Unknown method passed.")

    def deliveries(self) -> int:
        """How many distinct messages VK actually delivered."""
        return len(self._sent_random_ids) + sum(1 for p in self.sent() if int(p["random_id"]) == 0)
