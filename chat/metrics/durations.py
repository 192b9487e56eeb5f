"""Waits, first replies and handle times: percentiles from the raw rows and the packed rollups,
identical on PostgreSQL and SQLite."""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from chat.metrics.cache import _rollup_cached
from chat.metrics.rollups import Plan
from chat.metrics.sql import Seconds, conversations_in_range
from chat.metrics.types import PERCENTILES, MetricFilters
from chat.models import (
    DurationDay,
)

MEASURES = ("wait", "frt", "CASE WHEN closed_at IS NOT NULL THEN handle END")


def _percentile_column(measure: str) -> str:
    return f"percentile_cont(ARRAY[{', '.join(map(str, PERCENTILES))}]) WITHIN GROUP (ORDER BY {measure})"


def pack_durations(values: list[float]) -> bytes:
    """Durations for a ``DurationDay`` blob: sorted doubles."""
    return array("d", sorted(values)).tobytes()


def percentile_cont(ordered: Sequence[float], p: float) -> float | None:
    """PostgreSQL's ``percentile_cont`` over sorted values, with its arithmetic (``lo + f x (hi - lo)``)."""
    if not ordered:
        return None
    position = p * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    if high == low:
        return ordered[low]
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def _percentiles(filters: MetricFilters, how: Plan) -> list[list[float | None]]:
    """p50 and p90 of wait, first response and handle time, exact: the fresh days' stored durations
    (merged and sorted once, then kept per process) and the raw spans' values, picked by rank.

    Sorting a month of chats in the database (``percentile_cont``) took about 40 ms per measure
    on the benchmark, and sorting them in Python about 12.
    """
    rolled = (
        _rollup_cached("durations", filters, how, lambda: _rolled_durations(filters, how.days))
        if how.days
        else (array("d"), array("d"), array("d"))
    )
    extra: tuple[list[float], list[float], list[float]] = ([], [], [])
    for span in how.raw:
        for durations in span_durations(span):
            for values, value in zip(extra, durations, strict=True):
                if value is not None:
                    values.append(value)
    result = []
    for stored, more in zip(rolled, extra, strict=True):
        more.sort()
        result.append([_percentile_of_two(stored, more, p) for p in PERCENTILES])
    return result


def _rolled_durations(filters: MetricFilters, days: Sequence[date]) -> tuple[array[float], ...]:
    """The fresh days' durations per measure, sorted."""
    measured = (array("d"), array("d"), array("d"))
    stored = DurationDay.objects.filter(day__in=days)
    if filters.connector:
        stored = stored.filter(connector=filters.connector)
    if filters.queue_id:
        stored = stored.filter(queue_id=filters.queue_id)
    for blobs in stored.values_list("wait", "frt", "handle"):
        for values, blob in zip(measured, blobs, strict=True):
            values.frombytes(blob)
    return tuple(array("d", sorted(values)) for values in measured)


def _kth(a: Sequence[float], b: Sequence[float], k: int) -> float:
    """The value of rank ``k`` (from 0) in the union of two sorted sequences, by binary search."""
    low, high = max(0, k + 1 - len(b)), min(k + 1, len(a))
    while low < high:
        i = (low + high) // 2  # take i values from a and k + 1 - i from b
        if k + 1 - i > 0 and b[k - i] > a[i]:
            low = i + 1
        else:
            high = i
    taken_a, taken_b = low, k + 1 - low
    return max(([a[taken_a - 1]] if taken_a else []) + ([b[taken_b - 1]] if taken_b else []))


def _percentile_of_two(a: Sequence[float], b: Sequence[float], p: float) -> float | None:
    """``percentile_cont`` over the union of two sorted sequences (see :func:`percentile_cont`)."""
    n = len(a) + len(b)
    if not n:
        return None
    position = p * (n - 1)
    low, high = math.floor(position), math.ceil(position)
    first = _kth(a, b, low)
    if high == low:
        return first
    return first + (position - low) * (_kth(a, b, high) - first)


def span_durations(filters: MetricFilters, *, keyed: bool = False) -> Iterator[tuple[Any, ...]]:
    """(wait, first response, handle) of every chat opened in the range; handle only once closed.

    ``keyed``: each prefixed with the chat's connector and queue id (for the day rollups).
    """
    rows = (
        conversations_in_range(filters)
        .annotate(
            wait=Seconds("assigned_at", "queued_at"),
            frt=Seconds("first_response_at", "response_clock_at"),
            handle=Seconds("closed_at", "assigned_at"),
        )
        .values_list("connector", "queue_id", "wait", "frt", "handle")
    )
    # No closed_at check needed: ``closed_at - assigned_at`` is NULL until the chat is closed.
    for connector, queue_id, *durations in rows:
        yield (connector, queue_id, *durations) if keyed else tuple(durations)


def _sqlite_percentiles(cursor: Any, inner_sql: str, params: Sequence[Any], measure: str) -> list[float | None]:
    """``percentile_cont`` by hand: rank the values, interpolate between the two around p x (n - 1)."""
    picks = []
    for p in PERCENTILES:
        pos = f"({p} * (n - 1))"
        floor = f"CAST({pos} AS INTEGER)"
        picks.append(
            f"SUM(CASE WHEN i = {floor} THEN x * (1 - ({pos} - {floor}))"
            f" WHEN i = {floor} + 1 THEN x * ({pos} - {floor}) ELSE 0 END)"
        )
    cursor.execute(
        f"SELECT {', '.join(picks)} FROM (SELECT x, ROW_NUMBER() OVER (ORDER BY x) - 1 AS i,"  # noqa: S608
        f" COUNT(*) OVER () AS n FROM (SELECT {measure} AS x FROM ({inner_sql}) AS measured) AS v"
        " WHERE x IS NOT NULL) AS ranked",
        params,
    )
    return list(cursor.fetchone())
