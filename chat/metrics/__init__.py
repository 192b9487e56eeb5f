"""Service metrics, computed by the database from stored timestamps: see docs/metrics.md.

Every function here is a read-only selector that sends a fixed, small number of aggregate queries,
whatever the number of conversations. A conversation belongs to a range by when it was opened
(``created_at``, which is also when it was first queued); time-based metrics (concurrency,
occupancy) clip every interval to the range instead.

PostgreSQL computes percentiles with ``percentile_cont``; the embedded SQLite default computes the
same linear interpolation with window functions, so both give identical answers.

The modules, in the order they build on each other: ``types`` (filters and results), ``cache``,
``sql`` (shared SQL pieces), ``rollups`` (which days come from the rollups), ``cube`` (the shared
day cube), ``durations`` (percentiles), ``summary``, ``occupancy`` (time-based figures),
``breakdowns`` and ``operators`` (the history screen), ``live``. Every public name is re-exported
here, so ``from chat.metrics import summary`` keeps working.
"""

from __future__ import annotations

from chat.metrics.breakdowns import (
    consultations,
    reason_trend,
    volume_by_connector,
    volume_by_day,
    volume_by_hour,
    volume_by_reason,
)
from chat.metrics.cube import CUBE_SUMS
from chat.metrics.durations import MEASURES, pack_durations, percentile_cont, span_durations
from chat.metrics.live import live_figures, start_of_today
from chat.metrics.occupancy import TimeRows, concurrency_and_occupancy, operator_time, summary_with_time, time_rows
from chat.metrics.operators import operator_table
from chat.metrics.rollups import ROLLUP_GRACE, Plan, day_start, local_day, plan, site_timezone
from chat.metrics.sql import Seconds, analytics_session, conversations_in_range, stylist_queue_id
from chat.metrics.summary import summary
from chat.metrics.types import (
    COUNTERS,
    PERCENTILES,
    STYLIST_QUEUE,
    DurationStats,
    LiveFigures,
    MetricFilters,
    OperatorRow,
    Summary,
)

__all__ = [
    "COUNTERS",
    "CUBE_SUMS",
    "MEASURES",
    "PERCENTILES",
    "ROLLUP_GRACE",
    "STYLIST_QUEUE",
    "DurationStats",
    "LiveFigures",
    "MetricFilters",
    "OperatorRow",
    "Plan",
    "Seconds",
    "Summary",
    "TimeRows",
    "analytics_session",
    "concurrency_and_occupancy",
    "consultations",
    "conversations_in_range",
    "day_start",
    "live_figures",
    "local_day",
    "operator_table",
    "operator_time",
    "pack_durations",
    "percentile_cont",
    "plan",
    "reason_trend",
    "site_timezone",
    "span_durations",
    "start_of_today",
    "stylist_queue_id",
    "summary",
    "summary_with_time",
    "time_rows",
    "volume_by_connector",
    "volume_by_day",
    "volume_by_hour",
    "volume_by_reason",
]
