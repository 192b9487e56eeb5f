"""Which days of a range come from the day rollups and which from the raw rows (the plan)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta, tzinfo

from django.conf import settings
from django.db.models import F, QuerySet
from django.utils import timezone

from chat.metrics.cache import _plans
from chat.metrics.types import MetricFilters, Plan
from chat.models import (
    MetricsDay,
    VolumeHour,
)

# --- Which days come from the rollups ------------------------------------------------------------

# A day is read from its rollup only if that was computed this long after the day ended, so every
# transaction in flight at midnight (each stamps its rows with now()) had committed.
ROLLUP_GRACE = timedelta(minutes=5)


def site_timezone() -> tzinfo:
    return timezone.get_default_timezone()


def day_start(day: date) -> datetime:
    """The instant a local day begins in the site's time zone."""
    return datetime.combine(day, time.min, tzinfo=site_timezone())


def local_day(at: datetime) -> date:
    return timezone.localtime(at, site_timezone()).date()


def _rolled_days(filters: MetricFilters, service_level_seconds: int) -> list[tuple[date, str]]:
    """Days wholly inside the range, over for longer than the grace, whose rollup is fresh."""
    limit = min(filters.end, timezone.now() - ROLLUP_GRACE)
    first = local_day(filters.start)
    if day_start(first) < filters.start:
        first += timedelta(days=1)
    if day_start(first + timedelta(days=1)) > limit:
        return []
    candidates = MetricsDay.objects.filter(
        day__gte=first,
        day__lt=local_day(limit) + timedelta(days=1),
        computed_version=F("stale_version"),
        computed_at__isnull=False,
        service_level_seconds=service_level_seconds,
    ).values_list("day", "computed_at", "computed_token")
    return sorted(
        (day, token)
        for day, computed_at, token in candidates
        if day_start(day + timedelta(days=1)) <= limit
        and computed_at is not None  # the query asked for computed rows; this says so to mypy
        and computed_at >= day_start(day + timedelta(days=1)) + ROLLUP_GRACE
    )


def plan(filters: MetricFilters, *, volume: bool = True, service_level_seconds: int | None = None) -> Plan:
    """Split the range into fresh rolled-up days and raw spans (the whole range raw if no day is fresh).

    ``volume``: for per-conversation figures, which the rollups hold for every connector and queue
    but not per operator: with an operator filter those stay raw. A service-level T other than the
    one the rollups counted with also reads raw. Within an ``analytics_session`` each plan is
    worked out once.
    """
    threshold = int(settings.SWITCHBOARD_SERVICE_LEVEL_SECONDS)
    if (volume and filters.operator_id is not None) or service_level_seconds not in (None, threshold):
        return Plan(days=(), raw=(filters,))
    cache = _plans.get()
    key = (filters, threshold)
    if cache is not None and key in cache:
        return cache[key]
    fresh = _rolled_days(filters, threshold)
    days = [day for day, _ in fresh]
    raw: list[MetricFilters] = []
    cursor = filters.start
    for day in days:
        if day_start(day) > cursor:
            raw.append(replace(filters, start=cursor, end=day_start(day)))
        cursor = day_start(day + timedelta(days=1))
    if cursor < filters.end:
        raw.append(replace(filters, start=cursor, end=filters.end))
    result = Plan(days=tuple(days), raw=tuple(raw), tokens=tuple(token for _, token in fresh))
    if cache is not None:
        cache[key] = result
    return result


def _hours(filters: MetricFilters, days: Sequence[date]) -> QuerySet[VolumeHour]:
    qs = VolumeHour.objects.filter(day__in=days)
    if filters.connector:
        qs = qs.filter(connector=filters.connector)
    if filters.queue_id:
        qs = qs.filter(queue_id=filters.queue_id)
    return qs
