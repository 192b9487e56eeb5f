"""The live screen: the queue now, who is signed in with their load, and today so far."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from chat.metrics.occupancy import summary_with_time
from chat.metrics.types import LiveFigures, MetricFilters
from chat.models import (
    NO_FIRST_REPLY,
    Conversation,
    ConversationState,
    ConversationStep,
    Operator,
    OperatorStatus,
    StepKind,
)


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
