"""The two caches of the metrics: one per ``analytics_session`` (a screen's tables share a few
queries) and a small bounded one per process for rollup reads."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from datetime import date
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from chat.metrics.types import MetricFilters

if TYPE_CHECKING:
    from chat.metrics.types import Plan

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# What one analytics_session has computed (plans, the stylist queue's id, the raw cube), by key;
# it lives as long as the session, so it needs no bound.
_plans: ContextVar[dict[Hashable, Any] | None] = ContextVar("metrics_plans", default=None)


def _session_cached(key: Hashable, compute: Callable[[], Any]) -> Any:
    """Compute once per ``analytics_session``: the screen's tables share the same few queries."""
    cache = _plans.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


class BoundedCache(Generic[K, V]):
    """At most ``maxsize`` entries, the least recently used dropped first; safe across threads.

    ``compute`` runs outside the lock, so two threads missing the same key may both compute it
    (the values are equal): a slow query never holds up the reads of other keys.
    """

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def get_or_compute(self, key: K, compute: Callable[[], V]) -> V:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = compute()
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# (kind, connector, queue id, operator id, fresh days, their rollup tokens)
RollupKey = tuple[str, str | None, int | None, int | None, tuple[date, ...], tuple[str, ...]]

# Rollup reads, per process: a fresh day's rows never change until it is rolled up again, which
# gives it a new token, so a read keyed by the tokens of its days is exact for as long as it is kept.
ROLLUP_READS: BoundedCache[RollupKey, Any] = BoundedCache(maxsize=16)


def _rollup_cached(kind: str, filters: MetricFilters, how: Plan, compute: Callable[[], Any]) -> Any:
    """``compute()`` for these fresh days and this scope, remembered in the process (a few entries)."""
    if not all(how.tokens):
        return compute()  # rolled up before tokens existed: not cacheable
    key: RollupKey = (kind, filters.connector, filters.queue_id, filters.operator_id, how.days, how.tokens)
    return ROLLUP_READS.get_or_compute(key, compute)
