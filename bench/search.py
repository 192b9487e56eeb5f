"""Full-text search over the dashboards' year: ten million messages (bench/dashboards/generate.py).

    python -m bench search                    # against sb_bench_dash (SEARCH_BENCH_DATABASE_URL to change)
    SEARCH_BENCH_REINDEX=1 python -m bench search   # also times rebuilding the GIN index

Each query goes through the JSON API (``GET /api/search``, Django's test client, a signed-in manager,
and for one case an operator) after one warm-up: one-word, two-word, phrase, prefix and filtered
searches, common and rare words, and the second page of a common word. Goal: p95 < 200 ms. Also
reports the indexes' sizes and, with ``SEARCH_BENCH_REINDEX``, how long the GIN index takes to build.
``--smoke`` fills a few thousand messages into the smoke database instead.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from bench import common

GOAL_MS = 200
DEFAULT_DATABASE_URL = f"{common.PG_ROOT}/sb_bench_dash"
# (label, query string); the reason, operator and date filters are resolved in the measuring process.
QUERIES: list[tuple[str, dict[str, str]]] = [
    ("one common word (ru): заказ", {"q": "заказ"}),
    ("one common word (en): order", {"q": "order"}),
    ("one mid word: кроссовки", {"q": "кроссовки"}),
    ("one rare word: an order number", {"q": "100777"}),
    ("one rare word: an article", {"q": "SKU-4242"}),
    ("two words (ru): отменить заказ", {"q": "отменить заказ"}),
    ("two words (en): cancel order", {"q": "cancel order"}),
    ("two words, never together: курьер refund", {"q": "курьер refund"}),
    ('phrase: "статус не изменился"', {"q": '"статус не изменился"'}),
    ("prefix: достав*", {"q": "достав*"}),
    ("filtered: заказ, reason order-cancel", {"q": "заказ", "reason": "@order-cancel"}),
    ("filtered: order, Telegram", {"q": "order", "connector": "telegram"}),
    ("filtered: возврат, rating 1-2", {"q": "возврат", "low_rating": "1"}),
    ("filtered: заказ, one operator", {"q": "заказ", "operator": "@operator"}),
    ("filtered: refund, a month a quarter ago", {"q": "refund", "from": "@-120", "to": "@-90"}),
    ("filtered: кроссовки, consultations", {"q": "кроссовки", "consultation": "1"}),
    ("second page: заказ", {"q": "заказ", "before": "@page2"}),
    ("as an operator (own chats): заказ", {"q": "заказ", "as": "operator"}),
]


def run(sizes: common.Sizes) -> dict[str, Any]:
    smoke = sizes is common.SMOKE
    if smoke:
        url = common.ensure_postgres_database(os.environ.get("BENCH_DATABASE", "sb_bench") + "_search")
    else:
        url = os.environ.get("SEARCH_BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    env = common.bench_env(url, "memory", f"benchsearch{os.getpid()}")
    options = {"smoke": smoke, "repeat": 2 if smoke else 10, "reindex": os.environ.get("SEARCH_BENCH_REINDEX") == "1"}
    return common.run_module(["bench.search", "--measure", json.dumps(options)], env)  # type: ignore[no-any-return]


def report(data: dict[str, Any]) -> str:
    rows = [
        [row["label"], row["hits"], row["p50"], row["p95"], row["max"], "ok" if row["p95"] < GOAL_MS else "missed"]
        for row in data["queries"]
    ]
    table = common.markdown_table(["query", "hits on page", "p50 ms", "p95 ms", "max ms", f"p95 < {GOAL_MS}"], rows)
    sizes = common.markdown_table(["relation", "size"], [[name, size] for name, size in data["sizes"].items()])
    build = f"\n\nGIN index rebuilt (`REINDEX`) in {data['reindex_seconds']} s." if data.get("reindex_seconds") else ""
    return (
        f"{data['messages']:,} messages, {data['conversations']:,} conversations; each query through "
        f"`GET /api/search` (Django's test client, a signed-in manager unless said), one warm-up then "
        f"{data['repeat']} runs.\n\n{table}\n\n{sizes}{build}"
    )


# --- the measuring process (Django set up against the bench database) ---------------------------


def measure(options: dict[str, Any]) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # Django's test client

    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or "bench" not in name:
        raise SystemExit(f"Refusing to measure on {name!r}: use a PostgreSQL database whose name contains 'bench'.")
    call_command("migrate", verbosity=0)
    if options["smoke"]:
        _fill_smoke()
    result: dict[str, Any] = {"repeat": options["repeat"], "queries": []}
    if options.get("reindex"):
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            cursor.execute("REINDEX INDEX search_message_vector_idx")
        result["reindex_seconds"] = round(time.monotonic() - started, 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'chat_message'")
        result["messages"] = max(cursor.fetchone()[0], 0)
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'chat_conversation'")
        result["conversations"] = max(cursor.fetchone()[0], 0)
        sizes = {}
        for relation in (
            "chat_message",
            "search_message_vector_idx",
            "search_message_created_idx",
            "search_contact_name_idx",
        ):
            cursor.execute("SELECT pg_size_pretty(pg_relation_size(%s::regclass))", [relation])
            sizes[relation] = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('chat_message'::regclass))")
        sizes["chat_message with indexes and TOAST"] = cursor.fetchone()[0]
        result["sizes"] = sizes
    clients = _clients()
    for label, params in QUERIES:
        client = clients["operator" if params.get("as") == "operator" else "manager"]
        query = _resolve({key: value for key, value in params.items() if key != "as"}, clients["manager"])
        timings, hits = [], 0
        for attempt in range(options["repeat"] + 1):
            started = time.perf_counter()
            response = client.get("/api/search", query)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"{label}: {response.status_code} {response.content[:300]!r}")
            hits = len(response.json()["messages"])
            if attempt:
                timings.append(elapsed)
        summary = common.latency_summary(timings)
        result["queries"].append(
            {"label": label, "hits": hits, "p50": summary["p50"], "p95": summary["p95"], "max": round(max(timings))}
        )
    return result


def _clients() -> dict[str, Any]:
    from django.test import Client

    from chat.models import Operator

    manager = Operator.objects.filter(is_manager=True).order_by("id").first()
    operator = Operator.objects.filter(is_manager=False).order_by("id").first()
    if manager is None or operator is None:
        raise SystemExit("No operators: run bench.dashboards.generate first.")
    clients = {}
    for role, who in (("manager", manager), ("operator", operator)):
        client = Client()
        client.force_login(who.user)
        clients[role] = client
    clients["operator_id"] = operator.pk  # type: ignore[assignment]
    return clients


def _resolve(params: dict[str, str], manager: Any) -> dict[str, str]:
    """Turn the ``@`` placeholders into this database's ids, dates and cursors."""
    import datetime as dt

    from django.utils import timezone

    from chat.models import Conversation, Reason

    resolved = dict(params)
    if resolved.get("reason", "").startswith("@"):
        resolved["reason"] = str(Reason.objects.get(slug=resolved["reason"][1:]).pk)
    if resolved.get("operator") == "@operator":
        busiest = Conversation.objects.filter(operator__isnull=False).order_by("-id").values("operator_id").first()
        resolved["operator"] = str(busiest["operator_id"] if busiest else 1)
    for key in ("from", "to"):
        if resolved.get(key, "").startswith("@"):
            resolved[key] = (timezone.localdate() + dt.timedelta(days=int(resolved[key][1:]))).isoformat()
    if resolved.get("before") == "@page2":
        first = manager.get("/api/search", {"q": resolved["q"]}).json()
        resolved["before"] = first["next_cursor"] or ""
    return resolved


def _fill_smoke() -> None:
    """A few thousand messages through the real actions' tables, by SQL: enough to run every query."""
    from django.db import connection

    from chat.actions.setup import do_create_operator, do_ensure_queue, do_ensure_reason
    from chat.models import Message, Operator

    if Message.objects.exists():
        return
    do_ensure_queue(slug="general", name="General", skill_slug="general", skill_name="General")
    do_ensure_queue(slug="stylist", name="Stylist consultation", skill_slug="stylist", skill_name="Stylist")
    do_ensure_reason(slug="order-cancel", category="Order", name_en="Order: cancel", name_ru="Заказ: отмена")
    for n, manager in ((1, True), (2, False)):
        if not Operator.objects.filter(user__username=f"bench-search-{n}").exists():
            do_create_operator(username=f"bench-search-{n}", password="!", display_name=f"Op {n}", is_manager=manager)
    from bench.dashboards.generate import _MESSAGE_TEXT

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO chat_contact (name, email, phone, language, customer_id, created_at, email_verified,"
            " phone_verified) SELECT 'Shopper ' || g, '', '', 'ru', '', now(), false, false"
            " FROM generate_series(1, 300) g"
        )
        cursor.execute(
            "INSERT INTO chat_conversation (connector, contact_id, queue_id, state, operator_id, reason_id, language,"
            " is_offline, created_at, closed_at, closed_by_kind, visitor_context)"
            " SELECT 'widget', (SELECT min(id) FROM chat_contact) + g % 300, (SELECT min(id) FROM chat_queue),"
            " 'closed', (SELECT max(id) FROM chat_operator), (SELECT min(id) FROM chat_reason), 'ru', false,"
            " now() - g * interval '1 hour', now() - g * interval '1 hour', 'operator', '{}'::jsonb"
            " FROM generate_series(1, 300) g"
        )
        cursor.execute(
            "INSERT INTO chat_message (conversation_id, connector, author_kind, text, is_note, created_at,"
            " delivery_state, delivery_external_id, delivery_error, delivery_attempts)"
            f" SELECT c.id, c.connector, 'shopper', {_MESSAGE_TEXT}, false,"
            " c.created_at + n * interval '1 second', '', '', '', 0"
            " FROM chat_conversation c CROSS JOIN generate_series(1, 10) n"
        )
        cursor.execute("ANALYZE chat_message")


if __name__ == "__main__" and sys.argv[1:2] == ["--measure"]:
    print(json.dumps(measure(json.loads(sys.argv[2])), default=str))
