"""The day cube the history screen's tables share: (day, connector, reason) with their counters,
from the rollups of fresh days plus the raw rows of the rest."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from chat.metrics.cache import _rollup_cached, _session_cached
from chat.metrics.rollups import _hours, plan
from chat.metrics.sql import conversations_in_range, stylist_queue_id
from chat.metrics.types import COUNTERS, MetricFilters

CUBE_SUMS = (*COUNTERS, "consultations_with_form")


def _rolled_cube(filters: MetricFilters) -> list[tuple[Any, ...]]:
    """Fresh days' rollups as (day, connector, reason id, *CUBE_SUMS): one query for the whole screen."""
    how = plan(filters)
    days = how.days
    if not days:
        return []
    return _rollup_cached(
        "cube",
        filters,
        how,
        lambda: list(
            _hours(filters, days)
            .values("day", "connector", "reason_id")
            .annotate(**{f"sum_{name}": Sum(name) for name in CUBE_SUMS})
            .values_list("day", "connector", "reason_id", *[f"sum_{name}" for name in CUBE_SUMS])
        ),
    )


def _raw_cube(filters: MetricFilters) -> list[tuple[datetime, str, int | None, int, int, int, int]]:
    """The raw spans as (local hour, connector, reason id, offered, abandoned, consultations, with form)."""

    def compute() -> list[tuple[datetime, str, int | None, int, int, int, int]]:
        tz = timezone.get_current_timezone()
        stylist = Q(queue_id=stylist_queue_id())
        rows: list[tuple[datetime, str, int | None, int, int, int, int]] = []
        for span in plan(filters).raw:
            rows += (
                conversations_in_range(span)
                .annotate(bucket=TruncHour("created_at", tzinfo=tz))
                .values("bucket", "connector", "reason_id")
                .annotate(
                    n=Count("id"),
                    a=Count("id", filter=Q(abandoned_at__isnull=False, assigned_at__isnull=True)),
                    c=Count("id", filter=stylist),
                    f=Count("id", filter=stylist & Q(questionnaire__submitted_at__isnull=False)),
                )
                .values_list("bucket", "connector", "reason_id", "n", "a", "c", "f")
            )
        return rows

    return _session_cached(("raw cube", filters), compute)


def _day_cube(filters: MetricFilters) -> list[tuple[date, str, int | None, int, int, int, int]]:
    """(day, connector, reason id, offered, abandoned, consultations, with form): rollups plus raw spans."""
    offered, abandoned = CUBE_SUMS.index("offered"), CUBE_SUMS.index("abandoned")
    consulted, with_form = CUBE_SUMS.index("consultations"), CUBE_SUMS.index("consultations_with_form")
    rows = [
        (day, connector, reason_id, sums[offered], sums[abandoned], sums[consulted], sums[with_form])
        for day, connector, reason_id, *sums in _rolled_cube(filters)
    ]
    rows += [(hour.date(), *rest) for hour, *rest in _raw_cube(filters)]  # type: ignore[misc]
    return rows
