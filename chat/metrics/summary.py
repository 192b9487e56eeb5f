"""The summary of a range: counters, means, percentiles, service level, CSAT."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import F, QuerySet

from chat.metrics.cube import _rolled_cube
from chat.metrics.durations import MEASURES, _percentile_column, _percentiles, _sqlite_percentiles
from chat.metrics.rollups import plan
from chat.metrics.sql import Seconds, _is_postgres, _ratings_since, conversations_in_range, stylist_queue_id
from chat.metrics.types import COUNTERS, DurationStats, MetricFilters, Summary
from chat.models import (
    Conversation,
)


def _measured(filters: MetricFilters, *, with_rating: bool) -> QuerySet[Conversation]:
    """One row per conversation with its measures; the rating only where it is counted."""
    qs = conversations_in_range(filters)
    measures: dict[str, Any] = {
        "wait": Seconds("assigned_at", "queued_at"),
        "abandon_wait": Seconds("abandoned_at", "queued_at"),
        "frt": Seconds("first_response_at", "response_clock_at"),
        "handle": Seconds("closed_at", "assigned_at"),
    }
    columns = ["queue_id", "assigned_at", "abandoned_at", "closed_at", "last_operator_reply_at"]
    if with_rating:
        qs = qs.alias(rated=_ratings_since(filters))
        measures["stars"] = F("rated__stars")
        columns.append("stars")
    return qs.annotate(**measures).values(*columns, *[m for m in measures if m != "stars"])


def _raw_counters(
    filters: MetricFilters, threshold: int, stylist_id: int, *, with_percentiles: bool = False
) -> tuple[dict[str, float], list[list[float | None]] | None]:
    """The summary's counters for a span, from raw rows (and its percentiles in the same query on PostgreSQL)."""
    inner_sql, inner_params = _measured(filters, with_rating=True).query.sql_with_params()
    answered = "assigned_at IS NOT NULL"
    abandoned = "abandoned_at IS NOT NULL AND assigned_at IS NULL"
    replied = "closed_at IS NOT NULL AND last_operator_reply_at IS NOT NULL"
    handle = "CASE WHEN closed_at IS NOT NULL THEN handle END"
    columns = [
        "COUNT(*)",
        f"COUNT(CASE WHEN {answered} THEN 1 END)",
        f"COUNT(CASE WHEN {abandoned} THEN 1 END)",
        f"COUNT(CASE WHEN {answered} AND wait <= {threshold:d} THEN 1 END)",
        f"COUNT(CASE WHEN {abandoned} AND abandon_wait <= {threshold:d} THEN 1 END)",
        "COUNT(wait)",
        "SUM(wait)",
        "COUNT(frt)",
        "SUM(frt)",
        f"COUNT({handle})",
        f"SUM({handle})",
        *[f"COUNT(CASE WHEN stars = {n} THEN 1 END)" for n in range(1, 6)],
        f"COUNT(CASE WHEN {replied} THEN 1 END)",
        f"COUNT(CASE WHEN {replied} AND stars IS NOT NULL THEN 1 END)",
        f"COUNT(CASE WHEN queue_id = {stylist_id:d} THEN 1 END)",
    ]
    in_query = with_percentiles and _is_postgres()
    if in_query:
        columns += [_percentile_column(m) for m in MEASURES]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM ({inner_sql}) AS measured", inner_params)  # noqa: S608
        row = cursor.fetchone()
        assert row is not None  # an aggregate without GROUP BY always gives one row
        percentiles: list[list[float | None]] | None = None
        if in_query:
            percentiles = [list(value) if value else [None, None] for value in row[len(COUNTERS) :]]
        elif with_percentiles:
            percentiles = [_sqlite_percentiles(cursor, inner_sql, inner_params, m) for m in MEASURES]
    counters: dict[str, float] = dict(zip(COUNTERS, (value or 0 for value in row[: len(COUNTERS)]), strict=True))
    return counters, percentiles


def _rolled_counters(filters: MetricFilters) -> dict[str, float]:
    """The summary's counters summed over the range's fresh days (from the shared day cube)."""
    totals: dict[str, float] = dict.fromkeys(COUNTERS, 0)
    for row in _rolled_cube(filters):
        for name, value in zip(COUNTERS, row[3:], strict=False):
            totals[name] += value
    return totals


def _ratio(part: float, whole: float, scale: float = 1.0) -> float | None:
    return round(part * scale / whole, 4) if whole else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def _mean(total: float, count: int) -> float | None:
    return total / count if count else None


def summary(filters: MetricFilters, *, service_level_seconds: int | None = None) -> Summary:
    """Every per-conversation metric for the range: rolled-up days plus raw spans, percentiles raw."""
    threshold = int(
        settings.SWITCHBOARD_SERVICE_LEVEL_SECONDS if service_level_seconds is None else service_level_seconds
    )
    how = plan(filters, service_level_seconds=threshold)
    stylist_id = stylist_queue_id()
    if not how.days:
        # Nothing rolled up: counters and percentiles from one query, as before the rollups.
        totals, percentiles = _raw_counters(filters, threshold, stylist_id, with_percentiles=True)
    else:
        totals = _rolled_counters(filters)
        for span in how.raw:
            for name, value in _raw_counters(span, threshold, stylist_id)[0].items():
                totals[name] += value
        percentiles = _percentiles(filters, how)
    assert percentiles is not None
    stars = [int(totals[f"stars_{n}"]) for n in range(1, 6)]
    n_ratings = sum(stars)
    offered = int(totals["offered"])

    def stats(prefix: str, pct: Sequence[float | None]) -> DurationStats:
        count = int(totals[f"{prefix}_count"])
        return DurationStats(
            count=count, mean=_round(_mean(totals[f"{prefix}_sum"], count)), p50=_round(pct[0]), p90=_round(pct[1])
        )

    return Summary(
        offered=offered,
        answered=int(totals["answered"]),
        abandoned=int(totals["abandoned"]),
        abandonment_rate=_ratio(totals["abandoned"], offered),
        service_level=_ratio(totals["answered_in_t"], offered - totals["abandoned_in_t"]),
        service_level_seconds=threshold,
        queue_wait=stats("wait", percentiles[0]),
        first_response=stats("frt", percentiles[1]),
        handle_time=stats("handle", percentiles[2]),
        ratings=n_ratings,
        csat=_ratio(stars[3] + stars[4], n_ratings, 100.0),
        mean_rating=_round(_mean(sum(n * k for n, k in zip(range(1, 6), stars, strict=True)), n_ratings)),
        rating_distribution=dict(zip(range(1, 6), stars, strict=True)),
        closed_with_reply=int(totals["closed_with_reply"]),
        rating_response_rate=_ratio(totals["rated_with_reply"], totals["closed_with_reply"]),
        consultations=int(totals["consultations"]),
    )
