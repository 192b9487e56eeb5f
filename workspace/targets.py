"""Reading service targets: a target's current value and the breach as managers see it.

The checks that open and close breaches are ``workspace.actions.do_check_targets``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from chat.metrics import LiveFigures, MetricFilters, live_figures, summary
from workspace.models import ServiceTarget, TargetBreach, TargetMetric


def measure(target: ServiceTarget, live: LiveFigures | None = None) -> float | None:
    """The target's current value: the queue wait now, the others over the last window."""
    if target.metric == TargetMetric.MAX_QUEUE_WAIT:
        figures = live or live_figures(with_today=False)
        return figures.longest_wait_seconds or 0.0
    now = timezone.now()
    window = MetricFilters(start=now - timedelta(minutes=target.window_minutes), end=now + timedelta(seconds=1))
    result = summary(window, service_level_seconds=target.service_level_seconds)
    if target.metric == TargetMetric.SERVICE_LEVEL:
        return None if result.service_level is None else round(result.service_level * 100, 2)
    if target.metric == TargetMetric.CSAT:
        return result.csat
    return result.first_response.mean


def breach_payload(breach: TargetBreach) -> dict[str, Any]:
    return {
        "breach_id": breach.pk,
        "target_id": breach.target_id,
        "metric": breach.metric,
        "label": str(TargetMetric(breach.metric).label),
        "threshold": breach.threshold,
        "value": breach.last_value,
        "worst_value": breach.worst_value,
        "started_at": breach.started_at.isoformat(),
        "ended_at": breach.ended_at.isoformat() if breach.ended_at else None,
    }


def open_breaches() -> list[dict[str, Any]]:
    return [breach_payload(b) for b in TargetBreach.objects.filter(ended_at__isnull=True).order_by("started_at")]
