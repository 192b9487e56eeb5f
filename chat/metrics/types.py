"""Figures as the dashboards receive them: filters in, summaries, rows and live figures out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

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


@dataclass(frozen=True)
class Plan:
    """How a range is read: whole fresh days from the rollups, the rest from raw rows."""

    days: tuple[date, ...]
    raw: tuple[MetricFilters, ...]
    # The fresh days' rollup tokens: rollup reads are cached in the process under these.
    tokens: tuple[str, ...] = ()
