"""SQL pieces every metric uses: seconds between two times, the analytics transaction, the
conversations of a range, the stylist queue."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Expression, FilteredRelation, Func, Q, QuerySet

from chat.metrics.cache import _plans
from chat.metrics.types import STYLIST_QUEUE, MetricFilters
from chat.models import (
    Conversation,
    Queue,
)


class Seconds(Func):
    """``later - earlier`` in seconds, as a float, on PostgreSQL and SQLite alike."""

    arity = 2

    def __init__(self, later: str | Expression, earlier: str | Expression) -> None:
        from django.db.models import FloatField

        super().__init__(later, earlier, output_field=FloatField())

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[str | int, ...]]:
        # date_part gives float8; EXTRACT gives numeric since PostgreSQL 14, several times slower here.
        return self.as_sql(compiler, connection, template="date_part('epoch', %(expressions)s)", arg_joiner=" - ")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[str | int, ...]]:
        return self.as_sql(
            compiler, connection, template="((julianday(%(expressions)s)) * 86400.0)", arg_joiner=") - julianday("
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


# --- Time-based metrics: concurrency and occupancy ----------------------------------------------


def _greatest(a: str, b: str) -> str:
    return f"GREATEST({a}, {b})" if _is_postgres() else f"MAX({a}, {b})"


def _least(a: str, b: str) -> str:
    return f"LEAST({a}, {b})" if _is_postgres() else f"MIN({a}, {b})"


def _span(later: str, earlier: str) -> str:
    if _is_postgres():
        return f"date_part('epoch', {later} - {earlier})"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"
