"""Celery tasks of the connectors: processing stored updates (delivery lives in ``delivery``)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from connectors.inbox import process_row, process_stored
from connectors.models import RawUpdate, RawUpdateState


@shared_task(acks_late=True)
def process_raw_update(raw_id: int) -> str | None:
    outcome = process_stored(raw_id)
    return outcome.state if outcome else None


@shared_task
def process_leftover_updates() -> int:
    """A safety net for updates stored while the broker was down: process what is still waiting."""
    cutoff = timezone.now() - timedelta(minutes=1)
    rows = list(RawUpdate.objects.filter(state=RawUpdateState.RECEIVED, received_at__lt=cutoff).order_by("id")[:500])
    for raw in rows:
        process_row(raw)
    return len(rows)
