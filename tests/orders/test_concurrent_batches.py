"""Two shops' scripts (or two retries) pushing the same new order at once: one order, one history row."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from orders.actions import do_upsert_batch
from orders.models import Order, OrderStatusChange
from orders.schemas import BatchIn
from tests.orders.conftest import batch, order

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and concurrent inserts: PostgreSQL")
def test_the_same_new_order_pushed_twice_at_once_is_stored_once() -> None:
    data = BatchIn.model_validate(batch(*[order(f"C-{n}") for n in range(50)]))
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def push() -> None:
        try:
            start.wait()
            outcomes.append(do_upsert_batch(data).orders_created)
        except Exception as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=push) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes, key=str) == [0, 50], outcomes
    assert Order.objects.count() == 50
    assert OrderStatusChange.objects.count() == 50
