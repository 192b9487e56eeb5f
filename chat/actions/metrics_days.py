"""Day rollups of the service metrics: marking a past day changed, and recomputing a day.

The dashboards read a day from ``VolumeHour``/``OperatorDay`` only while its ``MetricsDay`` is fresh
(see ``chat.metrics.plan``), so the rollups never have to be right, only honest about being stale:

- Every action that changes what a metric reads on a conversation opened on a day that has already
  ended calls :func:`mark_changed` in its own transaction, which bumps that day's
  ``stale_version``. Today is never marked: it is always read raw, and one row updated by every
  arrival would serialise the whole shop.
- :func:`do_roll_up_day` reads ``stale_version`` first, rebuilds the day from raw rows, then stores
  that version as ``computed_version``. A change committed meanwhile has bumped ``stale_version``
  past it, so the day stays stale and is rebuilt next time: no change is ever lost.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncHour

from chat.actions._common import now
from chat.metrics import (
    ROLLUP_GRACE,
    MetricFilters,
    Seconds,
    day_start,
    local_day,
    pack_durations,
    site_timezone,
    span_durations,
    stylist_queue_id,
    time_rows,
)
from chat.models import Conversation, DurationDay, MetricsDay, OperatorDay, VolumeHour


def _upsert_sql(bump: bool) -> str:
    on_conflict = "DO UPDATE SET stale_version = chat_metricsday.stale_version + 1" if bump else "DO NOTHING"
    # Two fixed fragments; the values are parameters.
    return f"INSERT INTO chat_metricsday (day, stale_version, computed_version, computed_token) VALUES (%s, %s, -1, '') ON CONFLICT (day) {on_conflict}"  # noqa: S608, E501


def mark_changed(conversation: Conversation, *, every_day_since: bool = False) -> None:
    """Record, in the caller's transaction, that a finished day's figures changed.

    The day is the one the conversation was opened on (per-chat figures count there).
    ``every_day_since`` also marks every later finished day: a chat's queue scopes the time it was
    held, and a chat open across midnight was held on those days too.
    """
    first = local_day(conversation.created_at)
    today = local_day(now())
    if first >= today:
        return
    last = today - timedelta(days=1) if every_day_since else first
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    with connection.cursor() as cursor:
        cursor.executemany(_upsert_sql(bump=True), [(connection.ops.adapt_datefield_value(d), 1) for d in days])


def _in_day(day: date) -> QuerySet[Conversation]:
    return Conversation.objects.filter(created_at__gte=day_start(day), created_at__lt=day_start(day + timedelta(1)))


def _volume_rows(day: date, threshold: int, stylist_id: int) -> list[VolumeHour]:
    answered = Q(assigned_at__isnull=False)
    abandoned = Q(abandoned_at__isnull=False, assigned_at__isnull=True)
    replied = Q(closed_at__isnull=False, last_operator_reply_at__isnull=False)
    closed = Q(closed_at__isnull=False)
    stylist = Q(queue_id=stylist_id)
    rows = (
        _in_day(day)
        .annotate(
            bucket=TruncHour("created_at", tzinfo=site_timezone()),
            wait=Seconds("assigned_at", "queued_at"),
            abandon_wait=Seconds("abandoned_at", "queued_at"),
            frt=Seconds("first_response_at", "response_clock_at"),
            handle=Seconds("closed_at", "assigned_at"),
        )
        .values("bucket", "connector", "queue_id", "reason_id")
        .annotate(
            offered=Count("id"),
            answered=Count("id", filter=answered),
            abandoned=Count("id", filter=abandoned),
            answered_in_t=Count("id", filter=answered & Q(wait__lte=threshold)),
            abandoned_in_t=Count("id", filter=abandoned & Q(abandon_wait__lte=threshold)),
            closed_with_reply=Count("id", filter=replied),
            rated_with_reply=Count("id", filter=replied & Q(rating__isnull=False)),
            **{f"stars_{n}": Count("id", filter=Q(rating__stars=n)) for n in range(1, 6)},
            consultations=Count("id", filter=stylist),
            consultations_with_form=Count("id", filter=stylist & Q(questionnaire__submitted_at__isnull=False)),
            wait_count=Count("wait"),
            wait_sum=Sum("wait"),
            frt_count=Count("frt"),
            frt_sum=Sum("frt"),
            handle_count=Count("handle", filter=closed),
            handle_sum=Sum("handle", filter=closed),
        )
    )
    result = []
    for row in rows:
        bucket = row["bucket"]
        values = {k: (v or 0) if k.endswith("_sum") else v for k, v in row.items() if k != "bucket"}
        result.append(VolumeHour(day=local_day(bucket), hour=bucket, **values))
    return result


def _duration_rows(day: date) -> list[DurationDay]:
    """Each connector and queue's sorted durations, as ``chat.metrics.span_durations`` measures them."""
    groups: dict[tuple[str, int], tuple[list[float], list[float], list[float]]] = {}
    for connector, queue_id, *durations in span_durations(
        MetricFilters(start=day_start(day), end=day_start(day + timedelta(days=1))), keyed=True
    ):
        measured = groups.setdefault((connector, queue_id), ([], [], []))
        for values, value in zip(measured, durations, strict=True):
            if value is not None:
                values.append(value)
    return [
        DurationDay(
            day=day,
            connector=connector,
            queue_id=queue_id,
            wait=pack_durations(wait),
            frt=pack_durations(frt),
            handle=pack_durations(handle),
        )
        for (connector, queue_id), (wait, frt, handle) in groups.items()
    ]


def _scopes(connector: str, queue_id: int) -> Iterable[tuple[str, int]]:
    """Every OperatorDay scope a chat counts in: all, its connector, its queue, both."""
    return (("", 0), (connector, 0), ("", queue_id), (connector, queue_id))


def _operator_rows(day: date, stylist_id: int) -> list[OperatorDay]:
    rows: dict[tuple[int, str, int], dict[str, Any]] = {}

    def row(operator_id: int, ckey: str, qkey: int) -> dict[str, Any]:
        return rows.setdefault((operator_id, ckey, qkey), {})

    def add(target: dict[str, Any], **values: Any) -> None:
        for name, value in values.items():
            target[name] = target.get(name, 0) + (value or 0)

    closed = Q(closed_at__isnull=False)
    for op, connector, queue_id, n, handle_count, handle_sum, consult in (
        _in_day(day)
        .filter(operator__isnull=False)
        .annotate(handle=Seconds("closed_at", "assigned_at"))
        .values("operator_id", "connector", "queue_id")
        .annotate(
            n=Count("id"),
            hc=Count("handle", filter=closed),
            hs=Sum("handle", filter=closed),
            c=Count("id", filter=Q(queue_id=stylist_id)),
        )
        .values_list("operator_id", "connector", "queue_id", "n", "hc", "hs", "c")
    ):
        for ckey, qkey in _scopes(connector, queue_id):
            add(row(op, ckey, qkey), chats=n, handle_count=handle_count, handle_sum=handle_sum, consultations=consult)
    for op, connector, queue_id, n, good in (
        _in_day(day)
        .filter(rating__isnull=False, rating__operator__isnull=False)
        .values("rating__operator_id", "connector", "queue_id")
        .annotate(n=Count("id"), good=Count("id", filter=Q(rating__stars__gte=4)))
        .values_list("rating__operator_id", "connector", "queue_id", "n", "good")
    ):
        for ckey, qkey in _scopes(connector, queue_id):
            add(row(op, ckey, qkey), ratings=n, good_ratings=good)
    span = MetricFilters(start=day_start(day), end=day_start(day + timedelta(days=1)))
    for (op, ckey, qkey), (online, held, busy) in time_rows(span, by_scope=True).items():
        target = row(op, ckey, qkey)
        if online is not None:
            target["online_seconds"] = online
        add(target, chat_seconds=held, busy_seconds=busy)
    return [
        OperatorDay(day=day, operator_id=op, connector_key=ckey, queue_key=qkey, **values)
        for (op, ckey, qkey), values in rows.items()
    ]


def do_roll_up_day(day: date) -> bool:
    """Rebuild one finished day's rollups from raw rows. False (nothing done) if it is not over yet."""
    started = now()
    if day_start(day + timedelta(days=1)) + ROLLUP_GRACE > started:
        return False
    threshold = int(settings.SWITCHBOARD_SERVICE_LEVEL_SECONDS)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'")
        with connection.cursor() as cursor:
            cursor.execute(_upsert_sql(bump=False), [connection.ops.adapt_datefield_value(day), 0])
        version = MetricsDay.objects.filter(day=day).values_list("stale_version", flat=True).get()
        stylist_id = stylist_queue_id()
        volume = _volume_rows(day, threshold, stylist_id)
        operators = _operator_rows(day, stylist_id)
        durations = _duration_rows(day)
        VolumeHour.objects.filter(day=day).delete()
        OperatorDay.objects.filter(day=day).delete()
        DurationDay.objects.filter(day=day).delete()
        VolumeHour.objects.bulk_create(volume, batch_size=500)
        OperatorDay.objects.bulk_create(operators, batch_size=500)
        DurationDay.objects.bulk_create(durations)
        MetricsDay.objects.filter(day=day).update(
            computed_version=version,
            computed_at=started,
            computed_token=uuid.uuid4().hex,
            service_level_seconds=threshold,
        )
    return True


def days_to_roll_up(*, limit: int, oldest: date | None = None) -> list[date]:
    """Finished days (past the grace) that are not fresh, newest first: changed ones and never-computed ones.

    Days never computed are looked for back to ``oldest`` (default: the first conversation's day).
    """
    current = now()
    newest = local_day(current - ROLLUP_GRACE) - timedelta(days=1)
    if oldest is None:
        first = Conversation.objects.order_by("created_at").values_list("created_at", flat=True).first()
        if first is None:
            return []
        oldest = local_day(first)
    if newest < oldest:
        return []
    fresh = {
        day
        for day, computed_at in MetricsDay.objects.filter(
            day__gte=oldest,
            day__lte=newest,
            computed_version=F("stale_version"),
            computed_at__isnull=False,
            service_level_seconds=int(settings.SWITCHBOARD_SERVICE_LEVEL_SECONDS),
        ).values_list("day", "computed_at")
        if computed_at is not None and computed_at >= day_start(day + timedelta(days=1)) + ROLLUP_GRACE
    }
    wanted: list[date] = []
    day = newest
    while day >= oldest and len(wanted) < limit:
        if day not in fresh:
            wanted.append(day)
        day -= timedelta(days=1)
    return wanted


def do_roll_up_days(*, first: date | None = None, last: date | None = None, limit: int = 31) -> list[date]:
    """Roll up the stale days in ``[first, last]`` (newest first, at most ``limit``); returns them."""
    days = days_to_roll_up(limit=limit if last is None else 10**6, oldest=first)
    if last is not None:
        days = [day for day in days if day <= last][:limit]
    return [day for day in days if do_roll_up_day(day)]
