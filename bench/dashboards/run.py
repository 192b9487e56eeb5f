"""Time every dashboard view and CSV export on the generated year (see generate.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sb_bench_dash \\
      .venv/bin/python -m bench.dashboards.run --repeat 20

Each URL is requested through Django's test client as a logged-in manager for the last 30 days,
after one warm-up request; the p50 and p95 of the wall time per request are printed as a Markdown
table. Goals: history screens and exports p95 < 300 ms, the live view p95 < 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import timedelta
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

TABLES = [
    "summary",
    "ratings",
    "by_day",
    "by_hour",
    "by_connector",
    "by_reason",
    "reason_trend",
    "operators",
    "consultations",
]


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    if "bench" not in connection.settings_dict["NAME"]:
        raise SystemExit("Point DATABASE_URL at the benchmark database (its name contains 'bench').")
    settings.ALLOWED_HOSTS = ["testserver"]
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-1"))
    today = timezone.localdate()
    window = {"start": (today - timedelta(days=args.days - 1)).isoformat(), "end": today.isoformat()}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM chat_conversation")
        conversations = cursor.fetchone()[0]
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'chat_message'")
        messages = cursor.fetchone()[0]
    print(f"{conversations:,} conversations, about {messages:,} messages; {args.days}-day range, {args.repeat} runs\n")
    targets: list[tuple[str, str, dict[str, Any], int]] = [
        ("live page", "/workspace/dashboards/live/", {}, 50),
        ("live.json (pushed every 5 s)", "/workspace/dashboards/live.json", {}, 50),
        ("history page", "/workspace/dashboards/history/", window, 300),
        ("history.json", "/workspace/dashboards/history.json", window, 300),
        ("history, one operator", "/workspace/dashboards/history/", {**window, "operator": 10}, 300),
        ("history, Telegram only", "/workspace/dashboards/history/", {**window, "connector": "telegram"}, 300),
        *[(f"{table}.csv", f"/workspace/dashboards/export/{table}.csv", window, 300) for table in TABLES],
        ("targets page", "/workspace/dashboards/targets/", {}, 300),
    ]
    print("| view | p50 ms | p95 ms | goal ms | |")
    print("|---|---:|---:|---:|---|")
    for label, url, query, goal in targets:
        response = client.get(url, query)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        samples = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            client.get(url, query)
            samples.append((time.perf_counter() - started) * 1000)
        high = p95(samples)
        verdict = "ok" if high < goal else "SLOW"
        print(f"| {label} | {statistics.median(samples):.0f} | {high:.0f} | {goal} | {verdict} |", flush=True)


if __name__ == "__main__":
    main()
