"""Checking service targets: a breach opens with an alert to every manager and closes when it clears.

Targets and breaches are this app's own tables, so they are written here; chats are only read
(through ``chat.metrics``) or changed through ``chat.actions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from chat import events
from chat.actions import do_close
from chat.errors import ChatError
from chat.metrics import LiveFigures, MetricFilters, live_figures, summary
from chat.models import Conversation, ConversationState
from workspace.models import ServiceTarget, TargetBreach, TargetMetric


@dataclass(frozen=True)
class TargetCheck:
    target_id: int
    metric: str
    value: float | None
    breached: bool
    change: str  # "raised", "cleared" or ""


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


def open_breaches() -> list[dict[str, Any]]:
    return [breach_payload(b) for b in TargetBreach.objects.filter(ended_at__isnull=True).order_by("started_at")]


def close_silent_queued(*, silent_seconds: int) -> list[int]:
    """Close, as abandoned, queued chats whose shopper has said nothing for ``silent_seconds``.

    Silence counts from the shopper's last message, or from the queueing for a chat opened without
    one. Offline-form chats are left alone: nobody expects that shopper to wait.
    """
    cutoff = timezone.now() - timedelta(seconds=silent_seconds)
    stale = (
        Conversation.objects.filter(state=ConversationState.QUEUED, is_offline=False, queued_at__lte=cutoff)
        .exclude(last_shopper_message_at__gt=cutoff)
        .order_by("queued_at")
        .values_list("pk", flat=True)
    )
    closed = []
    for conversation_id in stale:
        try:
            do_close(conversation_id=conversation_id, by="system", only_if_queued=True)
        except ChatError:
            continue  # assigned or closed meanwhile: nothing to abandon
        closed.append(conversation_id)
    return closed
