"""Service metrics, computed by the database from stored timestamps: see docs/metrics.md.

Every function here is a read-only selector that sends a fixed, small number of aggregate queries,
whatever the number of conversations. A conversation belongs to a range by when it was opened
(``created_at``, which is also when it was first queued); time-based metrics (concurrency,
occupancy) clip every interval to the range instead.

PostgreSQL computes percentiles with ``percentile_cont``; the embedded SQLite default computes the
same linear interpolation with window functions, so both give identical answers.
"""

from __future__ import annotations

import math
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Expression, F, FilteredRelation, Func, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from chat.models import (
    NO_FIRST_REPLY,
    Conversation,
    ConversationState,
    ConversationStep,
    DurationDay,
    MetricsDay,
    Operator,
    OperatorDay,
    OperatorStatus,
    Queue,
    Reason,
    StepKind,
    VolumeHour,
)

PERCENTILES = (0.5, 0.9)
STYLIST_QUEUE = "stylist"


@dataclass(frozen=True)
class MetricFilters:
    """A half-open time range ``[start, end)`` and optional narrowing by connector, queue, operator."""

    start: datetime
    end: datetime
    connector: str | None = None
    queue_id: int | None = None
    operator_id: int | None = None


@dataclass(frozen=True)
class DurationStats:
    """Seconds: how many, mean, p50, p90 (None when nothing was measured)."""

    count: int
    mean: float | None
    p50: float | None
    p90: float | None


@dataclass(frozen=True)
class Summary:
    offered: int
    answered: int
    abandoned: int
    abandonment_rate: float | None
    service_level: float | None
    service_level_seconds: int
    queue_wait: DurationStats
    first_response: DurationStats
    handle_time: DurationStats
    ratings: int
    csat: float | None
    mean_rating: float | None
    rating_distribution: dict[int, int]
    closed_with_reply: int
    rating_response_rate: float | None
    consultations: int
    concurrency: float | None = None
    occupancy: float | None = None


@dataclass(frozen=True)
class OperatorRow:
    operator_id: int
    name: str
    chats: int
    handle_time_mean: float | None
    ratings: int
    csat: float | None
    consultations: int
    concurrency: float | None
    occupancy: float | None


@dataclass(frozen=True)
class LiveFigures:
    queued: int
    longest_wait_seconds: float | None
    active_chats: int
    operators: list[dict[str, Any]] = field(default_factory=list)
    today: Summary | None = None
    # Chats sent back to the queue today because their operator sent no first reply in time.
    no_first_reply_today: int = 0


class Seconds(Func):
    """``later - earlier`` in seconds, as a float, on PostgreSQL and SQLite alike."""

    arity = 2

    def __init__(self, later: str | Expression, earlier: str | Expression) -> None:
        from django.db.models import FloatField

        super().__init__(later, earlier, output_field=FloatField())

    def as_postgresql(self, compiler: Any, conn: Any, **extra: Any) -> tuple[str, list[Any]]:
        # date_part gives float8; EXTRACT gives numeric since PostgreSQL 14, several times slower here.
        return self.as_sql(compiler, conn, template="date_part('epoch', %(expressions)s)", arg_joiner=" - ")

    def as_sqlite(self, compiler: Any, conn: Any, **extra: Any) -> tuple[str, list[Any]]:
        return self.as_sql(
            compiler, conn, template="((julianday(%(expressions)s)) * 86400.0)", arg_joiner=") - julianday("
        )


@contextmanager
def analytics_session() -> Iterator[None]:
    """One transaction for a screen's queries; on PostgreSQL without JIT and with room to sort.

    JIT compilation costs more than these sub-second queries save (about 0.5 s measured), and
    percentiles and window functions over a month of chats spill to disk at the default work_mem.
    """
    token = _plans.set({})
    try:
        with transaction.atomic():
            if _is_postgres():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'")
            yield
    finally:
        _plans.reset(token)


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _db_time(value: datetime) -> Any:
    """A datetime as the backend's cursor wants it in raw SQL (SQLite keeps naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def conversations_in_range(filters: MetricFilters) -> QuerySet[Conversation]:
    """Conversations opened in the range, narrowed by the filters."""
    qs = Conversation.objects.filter(created_at__gte=filters.start, created_at__lt=filters.end)
    if filters.connector:
        qs = qs.filter(connector=filters.connector)
    if filters.queue_id:
        qs = qs.filter(queue_id=filters.queue_id)
    if filters.operator_id:
        qs = qs.filter(operator_id=filters.operator_id)
    return qs


def _ratings_since(filters: MetricFilters) -> FilteredRelation:
    """The chat's rating, read through the ratings' time index.

    Exact: a rating comes after its chat closed, so after the chat was opened in the range.
    """
    return FilteredRelation("rating", condition=Q(rating__created_at__gte=filters.start))


def stylist_queue_id() -> int:
    """The stylist queue's id (-1 when there is none): consultations are counted without a join.

    Looked up once per ``analytics_session``.
    """
    cache = _plans.get()
    if cache is not None and STYLIST_QUEUE in cache:
        return cache[STYLIST_QUEUE]
    found = Queue.objects.filter(slug=STYLIST_QUEUE).values_list("pk", flat=True).first()
    result = -1 if found is None else found
    if cache is not None:
        cache[STYLIST_QUEUE] = result
    return result


# --- Which days come from the rollups ------------------------------------------------------------

# A day is read from its rollup only if that was computed this long after the day ended, so every
# transaction in flight at midnight (each stamps its rows with now()) had committed.
ROLLUP_GRACE = timedelta(minutes=5)
_plans: ContextVar[dict[Any, Plan] | None] = ContextVar("metrics_plans", default=None)


def site_timezone() -> tzinfo:
    return timezone.get_default_timezone()


def day_start(day: date) -> datetime:
    """The instant a local day begins in the site's time zone."""
    return datetime.combine(day, time.min, tzinfo=site_timezone())


def local_day(at: datetime) -> date:
    return timezone.localtime(at, site_timezone()).date()


@dataclass(frozen=True)
class Plan:
    """How a range is read: whole fresh days from the rollups, the rest from raw rows."""

    days: tuple[date, ...]
    raw: tuple[MetricFilters, ...]
    # The fresh days' rollup tokens: rollup reads are cached in the process under these.
    tokens: tuple[str, ...] = ()


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


# --- Summary ---------------------------------------------------------------------------------------

# The summary's additive counters, in the order both the raw query and the rollup sum give them.
COUNTERS = (
    "offered",
    "answered",
    "abandoned",
    "answered_in_t",
    "abandoned_in_t",
    "wait_count",
    "wait_sum",
    "frt_count",
    "frt_sum",
    "handle_count",
    "handle_sum",
    "stars_1",
    "stars_2",
    "stars_3",
    "stars_4",
    "stars_5",
    "closed_with_reply",
    "rated_with_reply",
    "consultations",
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
        percentiles = None
        if in_query:
            percentiles = [list(value) if value else [None, None] for value in row[len(COUNTERS) :]]
        elif with_percentiles:
            percentiles = [_sqlite_percentiles(cursor, inner_sql, inner_params, m) for m in MEASURES]
    counters = dict(zip(COUNTERS, (value or 0 for value in row[: len(COUNTERS)]), strict=True))
    return counters, percentiles


MEASURES = ("wait", "frt", "CASE WHEN closed_at IS NOT NULL THEN handle END")


def _percentile_column(measure: str) -> str:
    return f"percentile_cont(ARRAY[{', '.join(map(str, PERCENTILES))}]) WITHIN GROUP (ORDER BY {measure})"


def _rolled_counters(filters: MetricFilters) -> dict[str, float]:
    """The summary's counters summed over the range's fresh days (from the shared day cube)."""
    totals = dict.fromkeys(COUNTERS, 0)
    for row in _rolled_cube(filters):
        for name, value in zip(COUNTERS, row[3:], strict=False):
            totals[name] += value
    return totals


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


# --- Time-based metrics: concurrency and occupancy ----------------------------------------------


def _greatest(a: str, b: str) -> str:
    return f"GREATEST({a}, {b})" if _is_postgres() else f"MAX({a}, {b})"


def _least(a: str, b: str) -> str:
    return f"LEAST({a}, {b})" if _is_postgres() else f"MIN({a}, {b})"


def _span(later: str, earlier: str) -> str:
    if _is_postgres():
        return f"date_part('epoch', {later} - {earlier})"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def _time_sql(filters: MetricFilters, *, by_scope: bool = False) -> tuple[str, list[Any]]:
    """Per operator: seconds signed in, seconds of chat held (summed), seconds with at least one chat.

    Rows are ``(operator, connector key, queue key, signed-in seconds, held, busy)``: one row per
    operator signed in at some point (keys '' and 0, held and busy NULL) and one per operator and
    scope who held chats (signed-in NULL). ``by_scope`` (for the day rollups) splits held and busy
    time four ways per chat: all, its connector, its queue, its connector and queue; it is the same
    as running the query once per scope filter.

    Holding a chat runs from an ``assigned`` or ``transferred``-to-operator step to the conversation's
    next step (transfer, requeue, close). Signed in is status online or away, from the status
    history. Both are clipped to ``[start, min(end, now))``. The status in force at ``start`` sorts
    before a change made exactly at ``start`` (otherwise which of the two spans is empty would be
    left to chance, and a range would not be the sum of its days).

    Steps are read by time (every step of a chat opened in the range lies in it; a next step after
    the range would be clipped away anyway) plus every step of the few chats open across ``start``,
    so the query reads only the range, never the whole history.
    """
    end = min(filters.end, timezone.now())
    start, stop = _db_time(filters.start), _db_time(end)
    operator_clause = "" if filters.operator_id is None else " AND operator_id = %s"
    operator_params: list[Any] = [] if filters.operator_id is None else [filters.operator_id]
    scope_filters = ""
    scope_params: list[Any] = []
    if filters.connector:
        scope_filters += " AND c.connector = %s"
        scope_params.append(filters.connector)
    if filters.queue_id:
        scope_filters += " AND c.queue_id = %s"
        scope_params.append(filters.queue_id)
    step_filters = ""
    if scope_params:
        step_filters = f" AND s.conversation_id IN (SELECT c.id FROM chat_conversation c WHERE 1 = 1{scope_filters})"  # noqa: S608
    if _is_postgres():
        # LATERAL ... OFFSET 0 keeps PostgreSQL on the (conversation, at) index: it cannot know how few
        # chats straddle the start, and would otherwise scan every step to hash-join them.
        straddling_steps = (
            "SELECT s.id, s.conversation_id, s.operator_id, s.kind, s.at FROM straddling c"
            " CROSS JOIN LATERAL (SELECT * FROM chat_conversationstep s0"
            " WHERE s0.conversation_id = c.id AND s0.at < %s OFFSET 0) s"
        )
    else:
        straddling_steps = (
            "SELECT s.id, s.conversation_id, s.operator_id, s.kind, s.at FROM chat_conversationstep s"
            " WHERE s.conversation_id IN (SELECT id FROM straddling) AND s.at < %s"
        )
    if by_scope:
        scope_keys = (
            "CASE WHEN v.k IN (1, 3) THEN c.connector ELSE '' END AS ckey,"
            " CASE WHEN v.k IN (2, 3) THEN c.queue_id ELSE 0 END AS qkey"
        )
        scope_join = (
            " JOIN chat_conversation c ON c.id = g.conversation_id"
            " CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) v"
        )
    else:
        scope_keys, scope_join = "'' AS ckey, 0 AS qkey", ""
    # Only fixed fragments are formatted in; every value is a parameter.
    sql = f"""
WITH straddling AS (
    SELECT c.id FROM chat_conversation c
    WHERE c.created_at < %s AND (c.closed_at >= %s OR c.closed_at IS NULL){scope_filters}
), picked AS (
    SELECT s.id, s.conversation_id, s.operator_id, s.kind, s.at FROM chat_conversationstep s
    WHERE s.at >= %s AND s.at < %s{step_filters}
    UNION ALL
    {straddling_steps}
), steps AS (
    SELECT conversation_id, operator_id, kind, at,
           LEAD(at) OVER (PARTITION BY conversation_id ORDER BY at, id) AS next_at
    FROM picked WHERE kind IN ('assigned', 'transferred', 'requeued', 'closed', 'abandoned')
), segments AS (
    SELECT conversation_id, operator_id, {_greatest("at", "%s")} AS s, {_least("COALESCE(next_at, %s)", "%s")} AS e
    FROM steps WHERE kind IN ('assigned', 'transferred') AND operator_id IS NOT NULL{operator_clause}
), held AS (
    SELECT g.operator_id, {scope_keys}, g.s, g.e FROM segments g{scope_join} WHERE g.e > g.s
), ordered AS (
    SELECT operator_id, ckey, qkey, s, e,
           MAX(e) OVER (PARTITION BY operator_id, ckey, qkey ORDER BY s, e
                        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM held
), islands AS (
    SELECT operator_id, ckey, qkey, s, e,
           SUM(CASE WHEN reach IS NULL OR s > reach THEN 1 ELSE 0 END)
             OVER (PARTITION BY operator_id, ckey, qkey ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island
    FROM ordered
), busy AS (
    SELECT operator_id, ckey, qkey, MIN(s) AS s, MAX(e) AS e FROM islands GROUP BY operator_id, ckey, qkey, island
), changes AS (
    SELECT operator_id, status, at, id AS seq FROM chat_operatorstatuschange
    WHERE at >= %s AND at < %s{operator_clause}
    UNION ALL
    SELECT o.id, (SELECT sc.status FROM chat_operatorstatuschange sc WHERE sc.operator_id = o.id AND sc.at < %s
                  ORDER BY sc.at DESC, sc.id DESC LIMIT 1), %s, 0
    FROM chat_operator o WHERE 1 = 1{operator_clause.replace("operator_id", "o.id")}
), status_spans AS (
    SELECT operator_id, status, at AS s,
           COALESCE(LEAD(at) OVER (PARTITION BY operator_id ORDER BY at, seq), %s) AS e
    FROM changes
), online AS (
    SELECT operator_id, SUM({_span("e", "s")}) AS seconds FROM status_spans
    WHERE status IN ('{OperatorStatus.ONLINE}', '{OperatorStatus.AWAY}') GROUP BY operator_id
), chat_time AS (
    SELECT operator_id, ckey, qkey, SUM({_span("e", "s")}) AS seconds FROM held GROUP BY operator_id, ckey, qkey
), busy_time AS (
    SELECT operator_id, ckey, qkey, SUM({_span("e", "s")}) AS seconds FROM busy GROUP BY operator_id, ckey, qkey
)
SELECT operator_id, '', 0, seconds, NULL, NULL FROM online
UNION ALL
SELECT c.operator_id, c.ckey, c.qkey, NULL, c.seconds, b.seconds
FROM chat_time c JOIN busy_time b ON b.operator_id = c.operator_id AND b.ckey = c.ckey AND b.qkey = c.qkey
"""  # noqa: S608
    params: list[Any] = [
        start,
        start,
        *scope_params,
        start,
        stop,
        *scope_params,
        start,
        start,
        stop,
        stop,
        *operator_params,
        start,
        stop,
        *operator_params,
        start,
        start,
        *operator_params,
        stop,
    ]
    return sql, params


TimeRows = dict[tuple[int, str, int], list[Any]]


def time_rows(filters: MetricFilters, *, by_scope: bool = False) -> TimeRows:
    """(operator, connector key, queue key) -> [signed-in seconds or None, held seconds, busy seconds], raw."""
    rows: TimeRows = {}
    if filters.end <= filters.start:
        return rows
    sql, params = _time_sql(filters, by_scope=by_scope)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for operator_id, ckey, qkey, online, held, busy in cursor.fetchall():
            row = rows.setdefault((operator_id, ckey, int(qkey)), [None, 0.0, 0.0])
            if online is not None:
                row[0] = float(online)
            row[1] += float(held or 0)
            row[2] += float(busy or 0)
    return rows


def _scope_keys(filters: MetricFilters) -> tuple[str, int]:
    return filters.connector or "", filters.queue_id or 0


def _rolled_operators(filters: MetricFilters, how: Plan) -> dict[int, tuple[Any, ...]]:
    """Operator -> (signed in or None, held, busy, chats, handle count, handle sum, consultations,
    ratings, good ratings) over fresh days: one query shared by the time and the counters.

    Signed-in time does not depend on the scope, so it is kept on the all-chats rows only.
    """
    days = how.days
    if not days:
        return {}
    ckey, qkey = _scope_keys(filters)
    everything = Q(connector_key="", queue_key=0)
    scoped = Q(connector_key=ckey, queue_key=qkey)
    qs = OperatorDay.objects.filter(everything | scoped, day__in=days)
    if filters.operator_id is not None:
        qs = qs.filter(operator_id=filters.operator_id)
    sums = {
        "online": Sum("online_seconds", filter=everything),
        **{
            name: Sum(field, filter=scoped)
            for name, field in [
                ("held", "chat_seconds"),
                ("busy", "busy_seconds"),
                ("n", "chats"),
                ("hc", "handle_count"),
                ("hs", "handle_sum"),
                ("c", "consultations"),
                ("r", "ratings"),
                ("g", "good_ratings"),
            ]
        },
    }
    return _rollup_cached(
        "operators",
        filters,
        how,
        lambda: {
            op: tuple(values)
            for op, *values in qs.values("operator_id").annotate(**sums).values_list("operator_id", *sums)
        },
    )


def operator_time(filters: MetricFilters) -> dict[int, tuple[float, float, float]]:
    """Operator id -> (seconds signed in, seconds of chats held, seconds with at least one chat).

    Operators never signed in during the range are left out. Time clipped to a day is additive, so
    rolled-up days and raw spans are summed.
    """
    how = plan(filters, volume=False)
    totals: dict[int, list[Any]] = {}

    def add(operator_id: int, online: float | None, held: float, busy: float) -> None:
        row = totals.setdefault(operator_id, [None, 0.0, 0.0])
        if online is not None:
            row[0] = (row[0] or 0.0) + online
        row[1] += held
        row[2] += busy

    for operator_id, (online, held, busy, *_) in _rolled_operators(filters, how).items():
        add(operator_id, online, held or 0.0, busy or 0.0)
    for span in how.raw:
        for (operator_id, _, _), (online, held, busy) in time_rows(span).items():
            add(operator_id, online, held, busy)
    return {op: (float(row[0]), row[1], row[2]) for op, row in totals.items() if row[0] is not None}


def concurrency_and_occupancy(times: dict[int, tuple[float, float, float]]) -> tuple[float | None, float | None]:
    """Concurrency = chat seconds / signed-in seconds; occupancy = busy seconds / signed-in seconds."""
    online = sum(t[0] for t in times.values())
    if online <= 0:
        return None, None
    return round(sum(t[1] for t in times.values()) / online, 4), round(sum(t[2] for t in times.values()) / online, 4)


def summary_with_time(filters: MetricFilters) -> Summary:
    """The summary plus concurrency and occupancy (one more query)."""
    base = summary(filters)
    concurrency, occupancy = concurrency_and_occupancy(operator_time(filters))
    return Summary(**{**base.__dict__, "concurrency": concurrency, "occupancy": occupancy})


# --- Breakdowns for the history screen -----------------------------------------------------------
# Each sums the rollups of the fresh days and the same query over the raw spans.


def _add(totals: dict[Any, list[int]], key: Any, *values: int) -> None:
    row = totals.setdefault(key, [0] * len(values))
    for i, value in enumerate(values):
        row[i] += value or 0


def _session_cached(key: Any, compute: Callable[[], Any]) -> Any:
    """Compute once per ``analytics_session``: the screen's tables share the same few queries."""
    cache = _plans.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


# Rollup reads, per process: a fresh day's rows never change until it is rolled up again, which
# gives it a new token, so a read keyed by the tokens of its days is exact for as long as it is kept.
_ROLLUP_READS: OrderedDict[Any, Any] = OrderedDict()
_ROLLUP_READS_KEPT = 16
_rollup_reads_lock = threading.Lock()


def _rollup_cached(kind: str, filters: MetricFilters, how: Plan, compute: Callable[[], Any]) -> Any:
    """``compute()`` for these fresh days and this scope, remembered in the process (a few entries)."""
    key = (kind, filters.connector, filters.queue_id, filters.operator_id, how.days, how.tokens)
    if not all(how.tokens):
        return compute()  # rolled up before tokens existed: not cacheable
    with _rollup_reads_lock:
        if key in _ROLLUP_READS:
            _ROLLUP_READS.move_to_end(key)
            return _ROLLUP_READS[key]
    value = compute()
    with _rollup_reads_lock:
        _ROLLUP_READS[key] = value
        while len(_ROLLUP_READS) > _ROLLUP_READS_KEPT:
            _ROLLUP_READS.popitem(last=False)
    return value


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


def _operator_counters(filters: MetricFilters) -> tuple[dict[int, list[Any]], dict[int, list[int]]]:
    """Per final operator [chats, handle count, handle seconds, consultations]; per credited [ratings, good]."""
    how = plan(filters)
    chats: dict[int, list[Any]] = {}
    rated: dict[int, list[int]] = {}
    for op, (_, _, _, n, handle_count, handle_sum, consult, n_rated, good) in _rolled_operators(filters, how).items():
        if n or consult:
            _add(chats, op, n, handle_count, handle_sum, consult)
        if n_rated:
            _add(rated, op, n_rated, good)
    stylist_id = stylist_queue_id() if how.raw else -1
    for span in how.raw:
        closed = Q(closed_at__isnull=False)
        for op, n, handle_count, handle_sum, consult in (
            conversations_in_range(span)
            .filter(operator__isnull=False)
            .annotate(handle=Seconds("closed_at", "assigned_at"))
            .values("operator_id")
            .annotate(
                n=Count("id"),
                hc=Count("handle", filter=closed),
                hs=Sum("handle", filter=closed),
                c=Count("id", filter=Q(queue_id=stylist_id)),
            )
            .values_list("operator_id", "n", "hc", "hs", "c")
        ):
            _add(chats, op, n, handle_count, handle_sum, consult)
        for op, n_rated, good in (
            conversations_in_range(span)
            .filter(rating__isnull=False, rating__created_at__gte=span.start)
            .values("rating__operator_id")
            .annotate(n=Count("id"), good=Count("id", filter=Q(rating__stars__gte=4)))
            .values_list("rating__operator_id", "n", "good")
        ):
            if op is not None:
                _add(rated, op, n_rated, good)
    return chats, rated


def operator_table(
    filters: MetricFilters, *, times: dict[int, tuple[float, float, float]] | None = None
) -> list[OperatorRow]:
    """Per operator (the one holding each chat last): chats, handle time, concurrency, CSAT, consultations.

    Ratings are counted for the operator they are credited to.
    """
    chats, rated = _operator_counters(filters)
    if times is None:
        times = operator_time(filters)
    ids = set(chats) | set(rated) | set(times)
    names = dict(Operator.objects.filter(pk__in=ids).values_list("pk", "display_name"))
    table = []
    for op in sorted(ids, key=lambda pk: names.get(pk, "")):
        n, handle_count, handle_sum, consult = chats.get(op, (0, 0, 0.0, 0))
        n_rated, good = rated.get(op, (0, 0))
        online, chat_seconds, busy = times.get(op, (0.0, 0.0, 0.0))
        table.append(
            OperatorRow(
                operator_id=op,
                name=names.get(op, f"#{op}"),
                chats=n,
                handle_time_mean=_round(_mean(handle_sum, handle_count)),
                ratings=n_rated,
                csat=_ratio(good, n_rated, 100.0),
                consultations=consult,
                concurrency=round(chat_seconds / online, 4) if online else None,
                occupancy=round(busy / online, 4) if online else None,
            )
        )
    return table


# --- Live ------------------------------------------------------------------------------------------


def start_of_today() -> datetime:
    local = timezone.localtime()
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def live_figures(*, with_today: bool = True) -> LiveFigures:
    """The queue now, who is signed in with their load, active chats and today's summary."""
    now = timezone.now()
    queued = Conversation.objects.filter(state=ConversationState.QUEUED).aggregate(
        n=Count("id"), oldest=Min("queued_at")
    )
    active = Conversation.objects.filter(state=ConversationState.ACTIVE).count()
    operators = [
        {
            "id": row["pk"],
            "name": row["display_name"],
            "status": row["status"],
            "load": row["active_count"],
            "cap": min(row["cap"], settings.SWITCHBOARD_MAX_CHATS),
        }
        for row in Operator.objects.exclude(status=OperatorStatus.OFFLINE)
        .order_by("display_name", "pk")
        .values("pk", "display_name", "status", "active_count", "cap")
    ]
    # With concurrency and occupancy: operators holding chats right now count up to this moment.
    today = (
        summary_with_time(MetricFilters(start=start_of_today(), end=now + timedelta(seconds=1))) if with_today else None
    )
    oldest = queued["oldest"]
    timeouts = ConversationStep.objects.filter(
        kind=StepKind.REQUEUED, note=NO_FIRST_REPLY, at__gte=start_of_today()
    ).count()
    return LiveFigures(
        queued=queued["n"],
        longest_wait_seconds=round((now - oldest).total_seconds(), 1) if oldest else None,
        active_chats=active,
        operators=operators,
        today=today,
        no_first_reply_today=timeouts,
    )
