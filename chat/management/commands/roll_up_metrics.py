"""Backfill the dashboards' day rollups: ``manage.py roll_up_metrics --from 2026-01-01 --to 2026-01-31``."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chat.actions.metrics_days import do_roll_up_days


class Command(BaseCommand):
    help = "Recompute the stale or missing day rollups in a date range (default: every finished day)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="first", help="first day, YYYY-MM-DD (default: the first chat's day)")
        parser.add_argument("--to", dest="last", help="last day, YYYY-MM-DD (default: yesterday)")

    def handle(self, *args: Any, first: str | None = None, last: str | None = None, **options: Any) -> None:
        try:
            first_day = date.fromisoformat(first) if first else None
            last_day = date.fromisoformat(last) if last else None
        except ValueError as exc:
            raise CommandError(f"Dates look like 2026-01-31: {exc}") from exc
        started = time.monotonic()
        days = do_roll_up_days(first=first_day, last=last_day, limit=10**6)
        self.stdout.write(f"Rolled up {len(days)} days in {time.monotonic() - started:.1f} s.")
