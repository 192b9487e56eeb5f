"""Breakdowns for the history screen: volume by day, hour, connector and reason; consultations.

Each sums the rollups of the fresh days and the same query over the raw spans."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from chat.metrics.cache import _rollup_cached
from chat.metrics.cube import _day_cube, _raw_cube
from chat.metrics.rollups import _hours, plan, site_timezone
from chat.metrics.sql import _is_postgres
from chat.metrics.types import MetricFilters
from chat.models import (
    Reason,
)


def _add(totals: dict[Any, list[int]], key: Any, *values: int) -> None:
    row = totals.setdefault(key, [0] * len(values))
    for i, value in enumerate(values):
        row[i] += value or 0


def volume_by_day(filters: MetricFilters) -> list[tuple[date, int, int]]:
    """(day, offered, abandoned) per day in the site's time zone."""
    totals: dict[date, list[int]] = {}
    for day, _, _, n, abandoned, _, _ in _day_cube(filters):
        _add(totals, day, n, abandoned)
    return [(day, n, abandoned) for day, (n, abandoned) in sorted(totals.items()) if n]


def volume_by_hour(filters: MetricFilters) -> list[tuple[int, int]]:
    """(hour of day 0-23, conversations) in the site's time zone; every hour present."""
    totals: dict[int, list[int]] = {}
    how = plan(filters)
    if how.days:
        tz = site_timezone()
        rolled = _rollup_cached(
            "hours",
            filters,
            how,
            lambda: list(_hours(filters, how.days).values("hour").annotate(n=Sum("offered")).values_list("hour", "n")),
        )
        for hour, n in rolled:
            _add(totals, timezone.localtime(hour, tz).hour, n)
    for hour, _, _, n, _, _, _ in _raw_cube(filters):
        _add(totals, hour.hour, n)
    return [(hour, totals.get(hour, [0])[0]) for hour in range(24)]


def volume_by_connector(filters: MetricFilters) -> list[tuple[str, int]]:
    totals: dict[str, list[int]] = {}
    for _, connector, _, n, _, _, _ in _day_cube(filters):
        _add(totals, connector, n)
    return sorted(((key, n) for key, (n,) in totals.items() if n), key=lambda row: (-row[1], row[0]))


def _null_order(value: int | None) -> tuple[int, int]:
    """Sort like the database: PostgreSQL puts NULL after every id, SQLite before."""
    if value is None:
        return (1, 0) if _is_postgres() else (-1, 0)
    return (0, value)


def volume_by_reason(filters: MetricFilters) -> list[tuple[str, int]]:
    """(reason name, conversations); untagged chats under an empty name."""
    totals: dict[int | None, list[int]] = {}
    for _, _, reason_id, n, _, _, _ in _day_cube(filters):
        _add(totals, reason_id, n)
    counts = sorted(((key, n) for key, (n,) in totals.items() if n), key=lambda row: (-row[1], _null_order(row[0])))
    names = _reason_names([reason_id for reason_id, _ in counts])
    return [(names.get(reason_id, ""), n) for reason_id, n in counts]


def reason_trend(filters: MetricFilters) -> list[tuple[date, str, int]]:
    """(week starting Monday, reason name, conversations): the reasons' trend over weeks."""
    totals: dict[tuple[date, int], list[int]] = {}
    for day, _, reason_id, n, _, _, _ in _day_cube(filters):
        if reason_id is not None:
            _add(totals, (day - timedelta(days=day.weekday()), reason_id), n)
    names = _reason_names([reason_id for _, reason_id in totals])
    return [(week, names[reason_id], n) for (week, reason_id), (n,) in sorted(totals.items()) if n]


def consultations(filters: MetricFilters) -> list[tuple[date, int, int]]:
    """Stylist consultations per day: (day, opened, with a submitted questionnaire)."""
    totals: dict[date, list[int]] = {}
    for day, _, _, _, _, n, with_form in _day_cube(filters):
        _add(totals, day, n, with_form)
    return [(day, n, with_form) for day, (n, with_form) in sorted(totals.items()) if n]


def _reason_names(ids: Sequence[int | None]) -> dict[int | None, str]:
    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    return {reason.pk: reason.localized_name() for reason in Reason.objects.filter(pk__in=wanted)}
