"""Notices for a widget shopper outside any chat (an order running late, preshot.notices): shown by
the shopper's widget when it next connects, or at once by a widget already open, and by one widget
only. The app that makes them registers where they come from, so the widget knows nothing of orders.

A widget socket joins :func:`visitor_group` (named by a hash of the visitor id) after hello; an
``order.notice`` event there carries the notice, and the socket shows it only if :func:`claim` says
it is the first to.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Frame = dict[str, Any]


@dataclass(frozen=True)
class NoticeSource:
    # visitor id -> the notices not shown yet (each now counted as shown), as ``notice`` payloads
    take_pending: Callable[[str], list[Frame]]
    # visitor id, notice id -> whether this widget is the first to show it
    claim: Callable[[str, int], bool]


_sources: list[NoticeSource] = []


def register_notice_source(source: NoticeSource) -> None:
    if source not in _sources:
        _sources.append(source)


def visitor_group(visitor_id: str) -> str:
    """A channel-layer group name (letters, digits, ``-_.`` only) for any visitor id, a signed
    shopper's ``customer:<id>`` included."""
    return f"widget.visitor.{hashlib.sha256(visitor_id.encode()).hexdigest()[:40]}"


def take_pending(visitor_id: str) -> list[Frame]:
    return [notice for source in _sources for notice in source.take_pending(visitor_id)]


def claim(visitor_id: str, notice_id: int) -> bool:
    return any(source.claim(visitor_id, notice_id) for source in _sources)
