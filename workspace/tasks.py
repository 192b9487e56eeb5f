"""Periodic dashboard work, as thin wrappers: target checks, abandoning silent shoppers, live figures."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import transaction

from chat import events
from chat.actions.housekeeping import do_close_silent_queued
from workspace.actions import do_check_targets
from workspace.dashboards import live_payload


@shared_task
def check_service_targets() -> list[str]:
    """Every 30 s: open or close breaches; managers get ``alert.raised`` / ``alert.cleared``."""
    return [
        f"{check.metric}:{check.change or ('breached' if check.breached else 'ok')}" for check in do_check_targets()
    ]


@shared_task
def close_silent_queued() -> list[int]:
    """Queued shoppers silent for SWITCHBOARD_ABANDON_AFTER_SECONDS have left: close as abandoned."""
    return do_close_silent_queued(silent_seconds=settings.SWITCHBOARD_ABANDON_AFTER_SECONDS)


@shared_task
def publish_live_dashboard() -> None:
    """Every few seconds, the live figures to every manager's open dashboard (no reload)."""
    with transaction.atomic():
        events.emit_ephemeral("dashboard.live", live_payload(), groups=[events.MANAGERS])
