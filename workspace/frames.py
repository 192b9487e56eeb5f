"""The workspace socket's client frames (``resume``, ``typing``, ``ping``), checked whole before use.

The socket only reads; writes go through the JSON API. Still, its frames reach the database (an id
in a query) and are echoed in errors, so every field is checked for type and range here and the
consumer only sees typed frames. Unknown fields are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chat.untrusted import MAX_ID, UntrustedJSONError, is_id, loads_bounded, unstorable_reason

MAX_FRAME_CHARS = 16 * 1024
MAX_FRAME_DEPTH = 4


class FrameError(Exception):
    """A refused frame: answered with ``{"type": "error", "code", "message"}``, the socket kept."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Resume:
    last_event_id: int


@dataclass(frozen=True)
class Typing:
    conversation_id: int


@dataclass(frozen=True)
class Ping:
    pass


ClientFrame = Resume | Typing | Ping


def event_id(value: object) -> int:
    """``last_event_id`` from a frame or the query string: a whole number a bigint holds (or its digits)."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID:
        return value
    raise FrameError("invalid_frame", f"last_event_id must be a whole number from 0 to {MAX_ID}.")


def _typing(frame: dict[str, Any]) -> Typing:
    conversation_id = frame.get("conversation_id")
    if not is_id(conversation_id):
        raise FrameError("invalid_frame", f"conversation_id must be a number from 1 to {MAX_ID}.")
    assert isinstance(conversation_id, int)
    return Typing(conversation_id)


def parse_frame(text_data: str | None, bytes_data: bytes | None) -> ClientFrame:
    """The checked frame, or ``FrameError`` saying what is wrong with it."""
    if text_data is None:
        raise FrameError("invalid_frame", "Send JSON text frames.")
    if len(text_data) > MAX_FRAME_CHARS:
        raise FrameError("too_large", f"Frames are at most {MAX_FRAME_CHARS} characters.")
    try:
        frame = loads_bounded(text_data, max_depth=MAX_FRAME_DEPTH)
    except UntrustedJSONError as exc:
        raise FrameError("invalid_frame", "The frame is not valid JSON (or nests too deeply).") from exc
    if not isinstance(frame, dict):
        raise FrameError("invalid_frame", "A frame is a JSON object with a type.")
    kind = frame.get("type")
    if kind == "resume":
        return Resume(event_id(frame.get("last_event_id")))
    if kind == "typing":
        return _typing(frame)
    if kind == "ping":
        return Ping()
    # Never echo the unknown type itself: it may not even be encodable (a lone surrogate).
    shown = repr(kind[:40]) if isinstance(kind, str) and not unstorable_reason(kind) else "of this kind"
    raise FrameError("unknown_type", f"Unknown frame type {shown}; use resume, typing or ping.")
