"""Service metrics, computed by the database from stored timestamps: see docs/metrics.md.

Every function here is a read-only selector that sends a fixed, small number of aggregate queries,
whatever the number of conversations. A conversation belongs to a range by when it was opened
(``created_at``, which is also when it was first queued); time-based metrics (concurrency,
occupancy) clip every interval to the range instead.

PostgreSQL computes percentiles with ``percentile_cont``; the embedded SQLite default computes the
same linear interpolation with window functions, so both give identical answers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Expression, F, FilteredRelation, Func, Min, Q, QuerySet
from django.db.models.functions import ExtractHour, TruncDate, TruncWeek
from django.utils import timezone

from chat.models import Conversation, ConversationState, Operator, OperatorStatus, Reason

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
    with transaction.atomic():
        if _is_postgres():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'")
        yield


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


def _measured(filters: MetricFilters) -> QuerySet[Conversation]:
    """One row per conversation with every per-chat measure the summary aggregates."""
    return (
        conversations_in_range(filters)
        .alias(rated=_ratings_since(filters))
        .annotate(
            wait=Seconds("assigned_at", "queued_at"),
            abandon_wait=Seconds("abandoned_at", "queued_at"),
            frt=Seconds("first_response_at", "response_clock_at"),
            handle=Seconds("closed_at", "assigned_at"),
            stars=F("rated__stars"),
            stylist=Q(queue__slug=STYLIST_QUEUE),
        )
        .values(
            "id",
            "assigned_at",
            "abandoned_at",
            "closed_at",
            "last_operator_reply_at",
            "wait",
            "abandon_wait",
            "frt",
            "handle",
            "stars",
            "stylist",
        )
    )


def _ratio(part: int, whole: int, scale: float = 1.0) -> float | None:
    return round(part * scale / whole, 4) if whole else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def summary(filters: MetricFilters, *, service_level_seconds: int | None = None) -> Summary:
    """Every per-conversation metric for the range in one aggregate query (three more on SQLite)."""
    inner_sql, inner_params = _measured(filters).query.sql_with_params()
    threshold = int(
        settings.SWITCHBOARD_SERVICE_LEVEL_SECONDS if service_level_seconds is None else service_level_seconds
    )
    answered = "assigned_at IS NOT NULL"
    abandoned = "abandoned_at IS NOT NULL AND assigned_at IS NULL"
    replied = "closed_at IS NOT NULL AND last_operator_reply_at IS NOT NULL"
    columns = [
        "COUNT(*)",
        f"COUNT(CASE WHEN {answered} THEN 1 END)",
        f"COUNT(CASE WHEN {abandoned} THEN 1 END)",
        f"COUNT(CASE WHEN {answered} AND wait <= {threshold:d} THEN 1 END)",
        f"COUNT(CASE WHEN {abandoned} AND abandon_wait <= {threshold:d} THEN 1 END)",
        "COUNT(wait)",
        "AVG(wait)",
        "COUNT(frt)",
        "AVG(frt)",
        "COUNT(CASE WHEN closed_at IS NOT NULL THEN handle END)",
        "AVG(CASE WHEN closed_at IS NOT NULL THEN handle END)",
        "COUNT(stars)",
        "AVG(stars)",
        "COUNT(CASE WHEN stars >= 4 THEN 1 END)",
        *[f"COUNT(CASE WHEN stars = {n} THEN 1 END)" for n in range(1, 6)],
        f"COUNT(CASE WHEN {replied} THEN 1 END)",
        f"COUNT(CASE WHEN {replied} AND stars IS NOT NULL THEN 1 END)",
        "COUNT(CASE WHEN stylist THEN 1 END)",
    ]
    measures = ("wait", "frt", "CASE WHEN closed_at IS NOT NULL THEN handle END")
    if _is_postgres():
        columns += [
            f"percentile_cont(ARRAY[{', '.join(map(str, PERCENTILES))}]) WITHIN GROUP (ORDER BY {m})" for m in measures
        ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM ({inner_sql}) AS measured", inner_params)  # noqa: S608
        row = cursor.fetchone()
        if _is_postgres():
            percentiles = [list(value) if value else [None, None] for value in row[-3:]]
        else:
            percentiles = [_sqlite_percentiles(cursor, inner_sql, inner_params, m) for m in measures]
    (offered, n_answered, n_abandoned, answered_in_t, abandoned_in_t) = row[0:5]
    (n_wait, mean_wait, n_frt, mean_frt, n_handle, mean_handle) = row[5:11]
    (n_ratings, mean_stars, n_good) = row[11:14]
    distribution = dict(zip(range(1, 6), row[14:19], strict=True))
    (closed_with_reply, rated_with_reply, consultations) = row[19:22]

    def stats(count: int, mean: float | None, pct: Sequence[float | None]) -> DurationStats:
        return DurationStats(count=count, mean=_round(mean), p50=_round(pct[0]), p90=_round(pct[1]))

    return Summary(
        offered=offered,
        answered=n_answered,
        abandoned=n_abandoned,
        abandonment_rate=_ratio(n_abandoned, offered),
        service_level=_ratio(answered_in_t, offered - abandoned_in_t),
        service_level_seconds=threshold,
        queue_wait=stats(n_wait, mean_wait, percentiles[0]),
        first_response=stats(n_frt, mean_frt, percentiles[1]),
        handle_time=stats(n_handle, mean_handle, percentiles[2]),
        ratings=n_ratings,
        csat=_ratio(n_good, n_ratings, 100.0),
        mean_rating=_round(mean_stars),
        rating_distribution=distribution,
        closed_with_reply=closed_with_reply,
        rating_response_rate=_ratio(rated_with_reply, closed_with_reply),
        consultations=consultations,
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


def _time_sql(filters: MetricFilters) -> tuple[str, list[Any]]:
    """Per operator: seconds signed in, seconds of chat held (summed), seconds with at least one chat.

    Holding a chat runs from an ``assigned`` or ``transferred``-to-operator step to the conversation's
    next step (transfer, requeue, close). Signed in is status online or away, from the status
    history. Both are clipped to ``[start, min(end, now))``.

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
    SELECT operator_id, kind, at, LEAD(at) OVER (PARTITION BY conversation_id ORDER BY at, id) AS next_at
    FROM picked WHERE kind IN ('assigned', 'transferred', 'requeued', 'closed', 'abandoned')
), segments AS (
    SELECT operator_id, {_greatest("at", "%s")} AS s, {_least("COALESCE(next_at, %s)", "%s")} AS e
    FROM steps WHERE kind IN ('assigned', 'transferred') AND operator_id IS NOT NULL{operator_clause}
), held AS (
    SELECT operator_id, s, e FROM segments WHERE e > s
), ordered AS (
    SELECT operator_id, s, e,
           MAX(e) OVER (PARTITION BY operator_id ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
             AS reach
    FROM held
), islands AS (
    SELECT operator_id, s, e,
           SUM(CASE WHEN reach IS NULL OR s > reach THEN 1 ELSE 0 END)
             OVER (PARTITION BY operator_id ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island
    FROM ordered
), busy AS (
    SELECT operator_id, MIN(s) AS s, MAX(e) AS e FROM islands GROUP BY operator_id, island
), changes AS (
    SELECT operator_id, status, at FROM chat_operatorstatuschange
    WHERE at >= %s AND at < %s{operator_clause}
    UNION ALL
    SELECT o.id, (SELECT sc.status FROM chat_operatorstatuschange sc WHERE sc.operator_id = o.id AND sc.at < %s
                  ORDER BY sc.at DESC, sc.id DESC LIMIT 1), %s
    FROM chat_operator o WHERE 1 = 1{operator_clause.replace("operator_id", "o.id")}
), status_spans AS (
    SELECT operator_id, status, at AS s, COALESCE(LEAD(at) OVER (PARTITION BY operator_id ORDER BY at), %s) AS e
    FROM changes
), online AS (
    SELECT operator_id, SUM({_span("e", "s")}) AS seconds FROM status_spans
    WHERE status IN ('{OperatorStatus.ONLINE}', '{OperatorStatus.AWAY}') GROUP BY operator_id
), chat_time AS (
    SELECT operator_id, SUM({_span("e", "s")}) AS seconds FROM held GROUP BY operator_id
), busy_time AS (
    SELECT operator_id, SUM({_span("e", "s")}) AS seconds FROM busy GROUP BY operator_id
)
SELECT o.operator_id, o.seconds, COALESCE(c.seconds, 0), COALESCE(b.seconds, 0)
FROM online o LEFT JOIN chat_time c ON c.operator_id = o.operator_id
LEFT JOIN busy_time b ON b.operator_id = o.operator_id
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


def operator_time(filters: MetricFilters) -> dict[int, tuple[float, float, float]]:
    """Operator id -> (seconds signed in, seconds of chats held, seconds with at least one chat)."""
    if filters.end <= filters.start:
        return {}
    sql, params = _time_sql(filters)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: (float(row[1] or 0), float(row[2] or 0), float(row[3] or 0)) for row in cursor.fetchall()}


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


def volume_by_day(filters: MetricFilters) -> list[tuple[date, int, int]]:
    """(day, offered, abandoned) per day in the site's time zone."""
    tz = timezone.get_current_timezone()
    rows = (
        conversations_in_range(filters)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("id"), abandoned=Count("id", filter=Q(abandoned_at__isnull=False, assigned_at__isnull=True)))
        .order_by("day")
        .values_list("day", "n", "abandoned")
    )
    return list(rows)


def volume_by_hour(filters: MetricFilters) -> list[tuple[int, int]]:
    """(hour of day 0-23, conversations) in the site's time zone; every hour present."""
    tz = timezone.get_current_timezone()
    counts = dict(
        conversations_in_range(filters)
        .annotate(hour=ExtractHour("created_at", tzinfo=tz))
        .values("hour")
        .annotate(n=Count("id"))
        .values_list("hour", "n")
    )
    return [(hour, counts.get(hour, 0)) for hour in range(24)]


def volume_by_connector(filters: MetricFilters) -> list[tuple[str, int]]:
    return list(
        conversations_in_range(filters)
        .values("connector")
        .annotate(n=Count("id"))
        .order_by("-n", "connector")
        .values_list("connector", "n")
    )


def volume_by_reason(filters: MetricFilters) -> list[tuple[str, int]]:
    """(reason name, conversations); untagged chats under an empty name."""
    counts = list(
        conversations_in_range(filters)
        .values("reason_id")
        .annotate(n=Count("id"))
        .order_by("-n", "reason_id")
        .values_list("reason_id", "n")
    )
    names = _reason_names([reason_id for reason_id, _ in counts])
    return [(names.get(reason_id, ""), n) for reason_id, n in counts]


def reason_trend(filters: MetricFilters) -> list[tuple[date, str, int]]:
    """(week starting Monday, reason name, conversations): the reasons' trend over weeks."""
    tz = timezone.get_current_timezone()
    rows = list(
        conversations_in_range(filters)
        .filter(reason__isnull=False)
        .annotate(week=TruncWeek("created_at", tzinfo=tz))
        .values("week", "reason_id")
        .annotate(n=Count("id"))
        .order_by("week", "reason_id")
        .values_list("week", "reason_id", "n")
    )
    names = _reason_names([reason_id for _, reason_id, _ in rows])
    return [(week.date() if isinstance(week, datetime) else week, names[reason_id], n) for week, reason_id, n in rows]


def _reason_names(ids: Sequence[int | None]) -> dict[int | None, str]:
    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    return {reason.pk: reason.localized_name() for reason in Reason.objects.filter(pk__in=wanted)}


def operator_table(
    filters: MetricFilters, *, times: dict[int, tuple[float, float, float]] | None = None
) -> list[OperatorRow]:
    """Per operator (the one holding each chat last): chats, handle time, concurrency, CSAT, consultations.

    Ratings are counted for the operator they are credited to.
    """
    per_chat = (
        conversations_in_range(filters)
        .filter(operator__isnull=False)
        .values("operator_id")
        .annotate(
            chats=Count("id"),
            handle=_avg_seconds("closed_at", "assigned_at", Q(closed_at__isnull=False)),
            consultations=Count("id", filter=Q(queue__slug=STYLIST_QUEUE)),
        )
        .values_list("operator_id", "chats", "handle", "consultations")
    )
    ratings = (
        conversations_in_range(filters)
        .filter(rating__isnull=False, rating__created_at__gte=filters.start)
        .values("rating__operator_id")
        .annotate(n=Count("id"), good=Count("id", filter=Q(rating__stars__gte=4)))
        .values_list("rating__operator_id", "n", "good")
    )
    chats = {op: (n, handle, consult) for op, n, handle, consult in per_chat}
    rated = {op: (n, good) for op, n, good in ratings if op is not None}
    if times is None:
        times = operator_time(filters)
    ids = set(chats) | set(rated) | set(times)
    names = dict(Operator.objects.filter(pk__in=ids).values_list("pk", "display_name"))
    table = []
    for op in sorted(ids, key=lambda pk: names.get(pk, "")):
        n, handle, consult = chats.get(op, (0, None, 0))
        n_rated, good = rated.get(op, (0, 0))
        online, chat_seconds, busy = times.get(op, (0.0, 0.0, 0.0))
        table.append(
            OperatorRow(
                operator_id=op,
                name=names.get(op, f"#{op}"),
                chats=n,
                handle_time_mean=_round(handle),
                ratings=n_rated,
                csat=_ratio(good, n_rated, 100.0),
                consultations=consult,
                concurrency=round(chat_seconds / online, 4) if online else None,
                occupancy=round(busy / online, 4) if online else None,
            )
        )
    return table


def _avg_seconds(later: str, earlier: str, condition: Q) -> Any:
    from django.db.models import Avg

    return Avg(Seconds(later, earlier), filter=condition)


def consultations(filters: MetricFilters) -> list[tuple[date, int, int]]:
    """Stylist consultations per day: (day, opened, with a submitted questionnaire)."""
    tz = timezone.get_current_timezone()
    return list(
        conversations_in_range(filters)
        .filter(queue__slug=STYLIST_QUEUE)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("id"), with_form=Count("id", filter=Q(questionnaire__submitted_at__isnull=False)))
        .order_by("day")
        .values_list("day", "n", "with_form")
    )


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
    today = summary(MetricFilters(start=start_of_today(), end=now + timedelta(seconds=1))) if with_today else None
    oldest = queued["oldest"]
    return LiveFigures(
        queued=queued["n"],
        longest_wait_seconds=round((now - oldest).total_seconds(), 1) if oldest else None,
        active_chats=active,
        operators=operators,
        today=today,
    )
