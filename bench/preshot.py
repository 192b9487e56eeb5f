"""Pre-shot suggestions: ``preshot.selectors.suggestions_for_contact`` for shoppers with 20 orders
each, on PostgreSQL.

The demo's articles and the shipped rules, ``preshot_shoppers`` contacts with 20 orders each in every
status and age (the newest first, as shops push them), written straight into the bench's own
database; then ``preshot_calls`` lookups one after another in one Django process, alternating English
and Russian, each timed around the selector's call, as /start or the widget makes it. Target
(issue 14): p95 under 50 ms.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from datetime import timedelta
from typing import Any

from bench import common
from bench.relay import BENCH_DATABASE

ORDERS_PER_SHOPPER = 20


def measure(shoppers: int, calls: int) -> dict[str, Any]:
    """In a Django process on the bench database: build the shoppers and orders, then time the calls."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from chat.models import Contact
    from kb.demo import load_kb_demo
    from orders.models import Order, OrderStatus
    from preshot.actions import do_load_default_rules
    from preshot.selectors import suggestions_for_contact

    call_command("migrate", verbosity=0)
    load_kb_demo()
    do_load_default_rules()
    Order.objects.filter(number__startswith="bench-").delete()
    rng = random.Random(14)
    now = timezone.now()
    statuses = [s.value for s in OrderStatus]
    started = time.monotonic()
    with transaction.atomic():
        contacts = Contact.objects.bulk_create([Contact(name=f"bench shopper {n}") for n in range(shoppers)])
        orders = []
        for contact in contacts:
            for n in range(ORDERS_PER_SHOPPER):
                at = now - timedelta(days=rng.randint(0, 400), hours=rng.randint(0, 23))
                status = rng.choice(statuses)
                orders.append(
                    Order(
                        number=f"bench-{contact.pk}-{n}", status=status, status_changed_at=at, placed_at=at,
                        shipped_at=at if status == "shipped" else None,
                        delivered_at=at if status == "delivered" else None,
                        contact=contact, tracking_url="https://carrier.example/t/1",
                    )
                )  # fmt: skip
        Order.objects.bulk_create(orders, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE orders_order")
    build_seconds = time.monotonic() - started
    ids = [c.pk for c in contacts]
    for contact_id in ids[:20]:  # warm the connection and the plans: not counted
        suggestions_for_contact([contact_id], "en")
    timings: list[float] = []
    offered = 0
    for i in range(calls):
        contact_id = ids[rng.randrange(len(ids))]
        began = time.perf_counter()
        result = suggestions_for_contact([contact_id], "ru" if i % 2 else "en")
        timings.append((time.perf_counter() - began) * 1000)
        offered += bool(result and result.suggestions)
    return {
        "shoppers": shoppers,
        "orders": shoppers * ORDERS_PER_SHOPPER,
        "build_seconds": round(build_seconds, 1),
        "calls": calls,
        "with_suggestions": offered,
        "latency_ms": common.latency_summary(timings),
    }


def run(sizes: common.Sizes) -> dict[str, Any]:
    database_url = common.ensure_postgres_database(f"{BENCH_DATABASE}_preshot")
    env = common.bench_env(database_url, "none", "sbbenchps")
    options = {"shoppers": sizes.preshot_shoppers, "calls": sizes.preshot_calls}
    data: dict[str, Any] = common.run_module(["bench.preshot", json.dumps(options)], env)
    data["load_average_after"] = round(os.getloadavg()[0], 1)
    return data


def report(data: dict[str, Any]) -> str:
    latency = data["latency_ms"]
    verdict = "met" if latency["p95"] is not None and latency["p95"] < 50 else "NOT met"
    return (
        f"{data['shoppers']} shoppers with {ORDERS_PER_SHOPPER} orders each ({data['orders']} orders, PostgreSQL, "
        f"built in {data['build_seconds']} s), the shipped rules and the demo articles; {data['calls']} lookups "
        "one after another, timed around `preshot.selectors.suggestions_for_contact` (the likeliest order, its "
        "stage and its questions):\n\n"
        + common.markdown_table(["p50 ms", "p95 ms", "p99 ms"], [[latency["p50"], latency["p95"], latency["p99"]]])
        + f"\n\nTarget p95 < 50 ms: **{verdict}** ({latency['p95']} ms). Lookups that offered questions: "
        f"{data['with_suggestions']} of {data['calls']}. Load average after the run: {data['load_average_after']}.\n"
    )


if __name__ == "__main__":
    options = json.loads(sys.argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    print(json.dumps(measure(options["shoppers"], options["calls"])))
