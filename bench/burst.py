"""Assignment bursts: many conversations at once against many online operators, then steady closes.

Runs inside ``bench.admin burst`` (a Django process on the bench database, PostgreSQL + Redis) with
several forked arrival processes, as a busy site's request workers would call the actions.
"""

from __future__ import annotations

import os

from bench import common
from bench.relay import BENCH_DATABASE

CLOSE_RATE = 100
ARRIVAL_WORKERS = 4


def run(sizes: common.Sizes) -> dict:
    database_url = common.ensure_postgres_database(BENCH_DATABASE)
    env = common.bench_env(database_url, "pubsub", f"benchburst{os.getpid()}")
    common.admin(env, "prepare")
    data = common.admin(
        env,
        "burst",
        operators=sizes.burst_operators,
        conversations=sizes.burst_conversations,
        close_count=sizes.close_count,
        rate=CLOSE_RATE,
        workers=ARRIVAL_WORKERS,
    )
    latencies = data.pop("close_to_next_ms")
    data["close_to_next"] = common.latency_summary(latencies)
    return data


def report(data: dict) -> str:
    close = data["close_to_next"]
    rows = [
        ["operators online / slots", f"{data['operators']} / {data['slots']}"],
        ["conversations in the burst", f"{data['conversations']} ({data['arrival_workers']} arrival processes)"],
        ["all arrived (s) / arrivals per s", f"{data['all_arrived_s']} / {data['arrival_rate']}"],
        ["all slots filled after (s)", data["slots_filled_s"]],
        ["active / queued after the burst", f"{data['active_after_burst']} / {data['queued_after_burst']}"],
        ["queue positions checked / wrong", f"{data['positions_checked']} / {data['positions_wrong']}"],
        [
            "cap violations (SQL) after burst / after closes",
            f"{data['cap_violations_after_burst']} / {data['cap_violations_after_closes']}",
        ],
        [f"closes asked at {CLOSE_RATE}/s: done / achieved rate", f"{data['closed']} / {data['close_rate_achieved']}"],
        ["close -> next assignment p50 / p95 / p99 (ms)", f"{close['p50']} / {close['p95']} / {close['p99']}"],
        ["closes followed by an assignment", data["next_assignments"]],
    ]
    return common.markdown_table(["measure", "value"], rows)
