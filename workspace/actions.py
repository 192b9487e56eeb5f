"""Every write of the workspace's own tables: service targets and their breaches.

Chats are changed only through ``chat.actions``; the dashboards and the periodic checks call these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from chat import events
from chat.metrics import LiveFigures, live_figures
from workspace.models import ServiceTarget, TargetBreach, TargetMetric
from workspace.targets import breach_payload, measure


@dataclass(frozen=True)
class TargetSettings:
    """A target as a manager sets it on the targets screen (already checked by the form)."""

    threshold: float
    window_minutes: int
    service_level_seconds: int | None = None


@transaction.atomic
def do_set_service_targets(targets: Mapping[str, TargetSettings | None], *, updated_by_id: int | None) -> None:
    """Set every given metric's target at once (None: switched off), so a save is all or nothing."""
    for metric, chosen in targets.items():
        TargetMetric(metric)  # an unknown metric is a programming error, not input
        if chosen is None:
            ServiceTarget.objects.filter(metric=metric).update(is_active=False)
            continue
        ServiceTarget.objects.update_or_create(
            metric=metric,
            defaults={
                "threshold": chosen.threshold,
                "window_minutes": chosen.window_minutes,
                "service_level_seconds": chosen.service_level_seconds,
                "is_active": True,
                "updated_by_id": updated_by_id,
            },
        )


@dataclass(frozen=True)
class TargetCheck:
    target_id: int
    metric: str
    value: float | None
    breached: bool
    change: str  # "raised", "cleared" or ""


def do_check_targets() -> list[TargetCheck]:
    """Measure every active target; open, update or close its breach; alert managers on a change."""
    results: list[TargetCheck] = []
    live: LiveFigures | None = None
    for target in ServiceTarget.objects.filter(is_active=True):
        if target.metric == TargetMetric.MAX_QUEUE_WAIT and live is None:
            live = live_figures(with_today=False)
        value = measure(target, live)
        results.append(_record(target, value))
    # A target switched off cannot stay in breach.
    for breach in TargetBreach.objects.filter(ended_at__isnull=True, target__is_active=False):
        _close(breach, breach.last_value)
    return results


@transaction.atomic
def _record(target: ServiceTarget, value: float | None) -> TargetCheck:
    breached = target.is_breached_by(value)
    open_breach = TargetBreach.objects.select_for_update().filter(target=target, ended_at__isnull=True).first()
    change = ""
    if breached and value is not None:
        if open_breach is None:
            breach = TargetBreach.objects.create(
                target=target,
                metric=target.metric,
                threshold=target.threshold,
                started_at=timezone.now(),
                first_value=value,
                worst_value=value,
                last_value=value,
            )
            events.emit("alert.raised", breach_payload(breach), audiences=[events.MANAGERS])
            change = "raised"
        else:
            worse = max if target.metric in (TargetMetric.MAX_QUEUE_WAIT, TargetMetric.FIRST_RESPONSE) else min
            open_breach.last_value = value
            open_breach.worst_value = worse(open_breach.worst_value, value)
            open_breach.save(update_fields=["last_value", "worst_value"])
    elif open_breach is not None:
        _close(open_breach, value)
        change = "cleared"
    return TargetCheck(target_id=target.pk, metric=target.metric, value=value, breached=breached, change=change)


def _close(breach: TargetBreach, value: float | None) -> None:
    breach.ended_at = timezone.now()
    if value is not None:
        breach.last_value = value
    breach.save(update_fields=["ended_at", "last_value"])
    events.emit("alert.cleared", breach_payload(breach), audiences=[events.MANAGERS])
