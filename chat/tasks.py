"""Periodic work, as thin wrappers over the chat actions."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from chat.actions import (
    do_assign_waiting,
    do_requeue_unanswered_chats,
    do_sweep_disconnected_operators,
    publish_queue_positions,
)
from chat.actions.housekeeping import do_prune_events
from chat.actions.metrics_days import do_roll_up_days
from chat.actions.privacy import do_erase_expired_conversations
from chat.periodic import run_locked


@shared_task
def run_periodic(task_name: str) -> object:
    """What beat sends for every schedule entry: the named task, unless another run holds its lock."""
    return run_locked(task_name)


@shared_task
def sweep_disconnected_operators() -> list[int]:
    """Operators whose every workspace tab is gone past the grace period go offline."""
    return do_sweep_disconnected_operators()


@shared_task
def assign_waiting() -> int:
    """A safety net only: every trigger already assigns in its own request."""
    assigned = do_assign_waiting()
    publish_queue_positions()
    return len(assigned)


@shared_task
def requeue_unanswered_chats() -> list[int]:
    """Chats whose operator owes the first reply past their queue's limit go to the next operator."""
    return do_requeue_unanswered_chats()


@shared_task
def prune_events() -> int:
    """Live events are for resuming clients; old ones are of no use to anybody."""
    return do_prune_events()


@shared_task
def roll_up_metrics_days() -> int:
    """Keep the dashboards' day rollups fresh: a few stale days per run, the newest first."""
    return len(do_roll_up_days(limit=settings.SWITCHBOARD_ROLLUP_DAYS_PER_RUN))


@shared_task
def erase_expired_conversations() -> int:
    """Retention (``SWITCHBOARD_RETENTION_DAYS``, off by default): one batch of old chats per run."""
    record = do_erase_expired_conversations()
    return len(record.summary["conversations"]) if record else 0
