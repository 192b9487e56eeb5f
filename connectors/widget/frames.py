"""The widget protocol's client frames (PROTOCOL.md), checked whole before the consumer reads them.

Every field is checked for type and range here, so a handler only ever sees a typed frame: ids are
positive integers a bigint holds, identifiers are short strings without NUL or lone surrogates (they
are stored, echoed and compared). Message text and rating comments are checked by the actions, which
answer ``invalid_input`` in the shopper's words. Unknown fields are ignored: a newer client may send
them, and they are never read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chat.untrusted import MAX_ID, UntrustedJSONError, is_id, loads_bounded, unstorable_reason

# A 4,096-character message JSON-escaped stays well below this; anything bigger is refused unread.
MAX_FRAME_CHARS = 64 * 1024
MAX_FRAME_DEPTH = 4
MAX_CLIENT_ID_CHARS = 64
MAX_TOKEN_CHARS = 1024
LANGUAGE_CHARS_KEPT = 8
QUEUES = ("general", "stylist")


class FrameError(Exception):
    """A frame the consumer refuses: answered with an error frame, the connection kept.

    ``ref`` and ``client_id`` are only set once they have been checked, so the answer never echoes
    something that cannot be encoded.
    """

    def __init__(self, code: str, message: str, *, ref: str | None = None, client_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref = ref
        self.client_id = client_id


@dataclass(frozen=True)
class Hello:
    token: str
    last_id: int
    conversation_id: int | None
    language: str
    queue: str | None


@dataclass(frozen=True)
class Open:
    queue: str


@dataclass(frozen=True)
class Message:
    text: object  # checked by the action: its refusal is invalid_input, in the shopper's language
    client_id: str
    conversation_id: int | None


@dataclass(frozen=True)
class Rate:
    stars: object  # checked by the action, as above
    comment: object
    conversation_id: int | None


@dataclass(frozen=True)
class Contact:
    """An email or phone to answer on while the shopper waits (checked by the action)."""

    name: str
    email: str
    phone: str


@dataclass(frozen=True)
class Context:
    """Where the shopper is (page, referrer, language, device, cart): cleaned field by field by the
    action (chat/visitor_context.py), which names a bad field in its refusal."""

    report: dict[str, Any]


@dataclass(frozen=True)
class Bare:
    """``typing``, ``close`` and ``position``: nothing but the type."""

    kind: str


ClientFrame = Hello | Open | Message | Rate | Contact | Context | Bare


def _identifier(frame: dict[str, Any], key: str, *, limit: int, required: bool = False) -> str | None:
    value = frame.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= limit or unstorable_reason(value):
        raise FrameError("malformed", f"{key} must be a string of 1-{limit} characters, without NUL.")
    return value


def _optional_id(frame: dict[str, Any], key: str) -> int | None:
    value = frame.get(key)
    if value is None:
        return None
    if not is_id(value):
        raise FrameError("malformed", f"{key} must be a whole number from 1 to {MAX_ID}.")
    return value


def _last_id(frame: dict[str, Any]) -> int:
    value = frame.get("last_id")
    if value is None:
        return 0
    if not (value == 0 and type(value) is int) and not is_id(value):
        raise FrameError("malformed", f"last_id must be a whole number from 0 to {MAX_ID}.")
    return value


def _queue(frame: dict[str, Any]) -> str | None:
    queue = frame.get("queue")
    if queue is not None and (not isinstance(queue, str) or queue not in QUEUES):
        raise FrameError("unknown_queue", f"Unknown queue; use one of {', '.join(QUEUES)}.")
    return queue


def _hello(frame: dict[str, Any]) -> Hello:
    token = frame.get("token")
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_CHARS or unstorable_reason(token):
        # Whatever is wrong with it, the client's remedy is the same: ask for a new token.
        raise FrameError("invalid_token", "The token is not valid; ask for a new one.")
    language = _identifier(frame, "language", limit=64) or ""
    return Hello(
        token=token,
        last_id=_last_id(frame),
        conversation_id=_optional_id(frame, "conversation_id"),
        language=language[:LANGUAGE_CHARS_KEPT],
        queue=_queue(frame),
    )


def _message(frame: dict[str, Any]) -> Message:
    client_id = _identifier(frame, "client_id", limit=MAX_CLIENT_ID_CHARS, required=True)
    assert client_id is not None
    try:
        text = frame.get("text")
        if not isinstance(text, str):
            raise FrameError("malformed", "text must be a string.")
        return Message(text=text, client_id=client_id, conversation_id=_optional_id(frame, "conversation_id"))
    except FrameError as exc:
        exc.client_id = client_id
        raise


def _rate(frame: dict[str, Any]) -> Rate:
    return Rate(
        stars=frame.get("stars"),
        comment=frame.get("comment", ""),
        conversation_id=_optional_id(frame, "conversation_id"),
    )


def _contact(frame: dict[str, Any]) -> Contact:
    fields = {key: frame.get(key, "") for key in ("name", "email", "phone")}
    for key, value in fields.items():
        if not isinstance(value, str) or len(value) > 256 or unstorable_reason(value):
            raise FrameError("malformed", f"{key} must be a string of at most 256 characters, without NUL.")
    return Contact(**fields)


_PARSERS: dict[str, Callable[[dict[str, Any]], ClientFrame]] = {
    "hello": _hello,
    "open": lambda frame: Open(queue=_queue(frame) or "general"),
    "message": _message,
    "rate": _rate,
    "contact": _contact,
    "context": lambda frame: Context(report={key: value for key, value in frame.items() if key != "type"}),
    "typing": lambda frame: Bare("typing"),
    "close": lambda frame: Bare("close"),
    "position": lambda frame: Bare("position"),
}


def parse_frame(text_data: str | None, bytes_data: bytes | None) -> ClientFrame:
    """The checked frame, or ``FrameError`` saying what is wrong with it."""
    if text_data is None:
        raise FrameError("malformed", "Frames are JSON text.")
    if len(text_data) > MAX_FRAME_CHARS:
        raise FrameError("too_large", f"Frames are at most {MAX_FRAME_CHARS} characters.")
    try:
        frame = loads_bounded(text_data, max_depth=MAX_FRAME_DEPTH)
    except UntrustedJSONError as exc:
        raise FrameError("malformed", "The frame is not valid JSON (or nests too deeply).") from exc
    kind = frame.get("type") if isinstance(frame, dict) else None
    if not isinstance(kind, str) or unstorable_reason(kind):
        raise FrameError("malformed", 'A frame is a JSON object with a string "type".')
    parser = _PARSERS.get(kind)
    if parser is None:
        raise FrameError("unknown_type", f"Unknown frame type {kind[:40]!r}.")
    try:
        return parser(frame)
    except FrameError as exc:
        exc.ref = kind
        raise
