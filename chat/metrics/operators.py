"""The operator table of the history screen."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, Sum

from chat.metrics.breakdowns import _add
from chat.metrics.occupancy import _rolled_operators, operator_time
from chat.metrics.rollups import plan
from chat.metrics.sql import Seconds, conversations_in_range, stylist_queue_id
from chat.metrics.summary import _mean, _ratio, _round
from chat.metrics.types import MetricFilters, OperatorRow
from chat.models import (
    Operator,
)


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
