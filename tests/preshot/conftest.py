"""Helpers for the pre-shot tests: the demo articles, orders at a given age, a fixed "now"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kb.demo import load_kb_demo
from orders.models import Order
from preshot.actions import do_load_default_rules

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def articles(db: None) -> None:
    """The demo shop's thirteen articles in English and Russian, through kb's actions."""
    load_kb_demo()


@pytest.fixture(autouse=True)
def default_rules(db: None) -> None:
    """The shipped rules: the migration adds them, but a transactional test elsewhere empties the tables."""
    do_load_default_rules()


def make_order(status: str, days: int, number: str = "A-1", **fields: Any) -> Order:
    """An order placed ``days`` days before NOW whose current status also began then."""
    at = NOW - timedelta(days=days, hours=1)
    stage = {"paid": "paid_at", "shipped": "shipped_at", "delivered": "delivered_at"}.get(status)
    times: dict[str, Any] = {"placed_at": at, "status_changed_at": at}
    if stage:
        times[stage] = at
    return Order.objects.create(number=number, status=status, **times, **fields)
