"""Checks for JSON and text from strangers, shared by the sockets, the widget endpoints and the webhooks.

Three things in well-formed JSON still broke us: nesting deep enough to exhaust Python's recursion
limit (``json`` raises ``RecursionError``, not ``ValueError``), lone surrogates (``"\\ud800"`` decodes
to a ``str`` that cannot be encoded as UTF-8, so sending or storing it raises), and NUL, which
PostgreSQL text and ``jsonb`` refuse. Each is found here before anything stores or echoes the value.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Deeper than any frame, widget body or Telegram/VK update we accept (those nest 6-8 levels).
MAX_JSON_DEPTH = 32
# The largest id a PostgreSQL bigint (and SQLite's INTEGER) holds; larger ids match no row.
MAX_ID = 2**63 - 1

_SURROGATE = re.compile("[\ud800-\udfff]")


class UntrustedJSONError(ValueError):
    """The text is not a JSON document we are willing to read; ``message`` says why, for the sender."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def has_lone_surrogate(text: str) -> bool:
    """A code point UTF-8 cannot encode (half of a broken pair): it can be neither stored nor sent."""
    return _SURROGATE.search(text) is not None


def unstorable_reason(text: str) -> str | None:
    """Why a string cannot be stored as text (NUL or a lone surrogate), or None if it can."""
    if "\x00" in text:
        return "contains a NUL character (\\u0000)"
    if has_lone_surrogate(text):
        return "contains a lone surrogate (not valid Unicode)"
    return None


def depth_of(value: Any) -> int:
    """How deeply lists and objects nest (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in children)
    return deepest


def first_unstorable(value: Any) -> tuple[str, str] | None:
    """The path and reason of the first key or string in a parsed document that cannot be stored."""
    stack: list[tuple[Any, str]] = [(value, "$")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            reason = unstorable_reason(item)
            if reason:
                return path, reason
        elif isinstance(item, dict):
            for key, child in item.items():
                reason = unstorable_reason(key)
                if reason:
                    return path, f"has a key that {reason}"
                stack.append((child, f"{path}.{key}"))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{index}]") for index, child in enumerate(item))
    return None


def storable_copy(value: Any) -> Any:
    """A copy that can be stored, for the record of what was refused: NUL shown as the six characters
    ``\\u0000``, a lone surrogate as U+FFFD. Never used for what is kept as the shopper's words."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value.replace("\x00", "\\u0000"))
    if isinstance(value, dict):
        return {storable_copy(key): storable_copy(child) for key, child in value.items()}
    if isinstance(value, list):
        return [storable_copy(child) for child in value]
    return value


def loads_bounded(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that refuses, with ``UntrustedJSONError``, what it cannot read or nests too deeply."""
    try:
        value = json.loads(text)
    except RecursionError as exc:
        raise UntrustedJSONError(f"The JSON nests more than {max_depth} levels deep.") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise UntrustedJSONError("The body is not valid JSON.") from exc
    if depth_of(value) > max_depth:
        raise UntrustedJSONError(f"The JSON nests more than {max_depth} levels deep.")
    return value


def is_id(value: object) -> bool:
    """A JSON integer that can be a row id (not a bool, a float, or past the database's range)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
