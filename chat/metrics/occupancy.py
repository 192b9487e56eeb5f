"""Time-based metrics: how many chats each operator held at once, and how busy they were."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Q, Sum
from django.utils import timezone

from chat.metrics.cache import _rollup_cached
from chat.metrics.rollups import Plan, plan
from chat.metrics.sql import _db_time, _greatest, _is_postgres, _least, _span
from chat.metrics.summary import summary
from chat.metrics.types import MetricFilters, Summary
from chat.models import (
    OperatorDay,
    OperatorStatus,
)


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
