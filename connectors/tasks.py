"""Celery tasks of the connectors: processing stored updates (delivery lives in ``delivery``)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from connectors.inbox import STALE_CLAIM, process_stored
from connectors.models import RawUpdate, RawUpdateState


@shared_task(acks_late=True)
def process_raw_update(raw_id: int) -> str | None:
    outcome = process_stored(raw_id)
    return outcome.state if outcome else None


@shared_task
def process_leftover_updates() -> int:
    """A safety net for updates stored while the broker was down: process what is still waiting."""
    now = timezone.now()
    stale = Q(state=RawUpdateState.PROCESSING, processed_at__lt=now - STALE_CLAIM)
    waiting = RawUpdate.objects.filter(
        Q(state=RawUpdateState.RECEIVED) | stale, received_at__lt=now - timedelta(minutes=1)
    )
    done = 0
    for raw_id in waiting.order_by("id").values_list("pk", flat=True)[:500]:
        done += process_stored(raw_id) is not None
    return done
