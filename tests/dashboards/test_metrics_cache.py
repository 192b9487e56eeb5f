"""The per-process cache of rollup reads stays small however many ranges are read."""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta

from django.utils import timezone

from chat.metrics import MetricFilters, Plan
from chat.metrics.cache import ROLLUP_READS, BoundedCache, _rollup_cached


def test_the_rollup_cache_keeps_at_most_its_maxsize() -> None:
    ROLLUP_READS.clear()
    start = datetime(2026, 1, 1, tzinfo=timezone.get_current_timezone())
    computed: list[int] = []

    def compute(n: int) -> int:
        computed.append(n)
        return n

    for n in range(ROLLUP_READS.maxsize * 5):
        day = date(2026, 1, 1) + timedelta(days=n)
        filters = MetricFilters(start=start, end=start + timedelta(days=n + 1))
        how = Plan(days=(day,), raw=(), tokens=(f"token-{n}",))
        assert _rollup_cached("cube", filters, how, functools.partial(compute, n)) == n
        assert len(ROLLUP_READS) <= ROLLUP_READS.maxsize
    assert len(ROLLUP_READS) == ROLLUP_READS.maxsize
    # The newest reads are the ones kept, and a kept one is not computed again.
    last = ROLLUP_READS.maxsize * 5 - 1
    day = date(2026, 1, 1) + timedelta(days=last)
    how = Plan(days=(day,), raw=(), tokens=(f"token-{last}",))
    filters = MetricFilters(start=start, end=start + timedelta(days=last + 1))
    before = len(computed)
    assert _rollup_cached("cube", filters, how, lambda: -1) == last
    assert len(computed) == before
    ROLLUP_READS.clear()


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: BoundedCache[str, int] = BoundedCache(maxsize=2)
    cache.get_or_compute("a", lambda: 1)
    cache.get_or_compute("b", lambda: 2)
    cache.get_or_compute("a", lambda: 99)  # a read: "a" is now the most recent
    cache.get_or_compute("c", lambda: 3)
    assert "a" in cache and "c" in cache and "b" not in cache
    assert len(cache) == 2


def test_a_plan_without_tokens_is_never_cached() -> None:
    ROLLUP_READS.clear()
    start = datetime(2026, 1, 1, tzinfo=timezone.get_current_timezone())
    filters = MetricFilters(start=start, end=start + timedelta(days=1))
    how = Plan(days=(date(2026, 1, 1),), raw=(), tokens=("",))
    assert _rollup_cached("cube", filters, how, lambda: 1) == 1
    assert _rollup_cached("cube", filters, how, lambda: 2) == 2
    assert len(ROLLUP_READS) == 0
