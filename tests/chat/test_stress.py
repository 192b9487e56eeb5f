"""Several OS processes hammer the queue through the real chat actions while the rules are checked live.

Each worker process (tests/chat/stress_worker.py) runs random shopper messages, closes, transfers and
status changes against the same PostgreSQL test database and Redis channel layer. Meanwhile this
process reads the database over and over; every read is one SQL statement, so it sees one committed
moment, and at no such moment may an operator's count disagree with their chats or pass their limit.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from chat.actions import do_assign_waiting
from chat.actions.setup import do_create_operator
from chat.models import Conversation, ConversationStep, Operator, Queue, Reason
from tests.chat import stress_worker
from tests.chat.conftest import go

pytestmark = [
    pytest.mark.stress,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite lets one process write at a time, so there is no concurrency to stress; run on PostgreSQL",
    ),
]

WORKERS = 4
# The run lasts at least MIN_SECONDS and until the target work is done, but never past MAX_SECONDS;
# less than the minimum work proves too little and fails. (On an idle 2-core machine a worker does
# about 30 ms of CPU per operation, so 4 workers reach the target in roughly 30-40 s.)
MIN_SECONDS = float(os.environ.get("STRESS_MIN_SECONDS", "20"))
MAX_SECONDS = float(os.environ.get("STRESS_MAX_SECONDS", "45"))
TARGET_OPERATIONS, TARGET_ASSIGNMENTS = 2000, 500
MIN_OPERATIONS = int(os.environ.get("STRESS_MIN_OPERATIONS", "400"))
MIN_ASSIGNMENTS = int(os.environ.get("STRESS_MIN_ASSIGNMENTS", "250"))
# (skills, personal limit); the site-wide limit is 4.
TEAM = [
    (["general"], 4),
    (["general"], 3),
    (["general"], 2),
    (["general"], 1),
    (["general", "stylist"], 4),
    (["general", "stylist"], 2),
    (["stylist"], 3),
    (["general"], 4),
]


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'])}"


def _tables() -> dict[str, str]:
    return {
        "operator": Operator._meta.db_table,
        "conversation": Conversation._meta.db_table,
        "queue": Queue._meta.db_table,
        "skills": Operator.skills.through._meta.db_table,
    }


def live_violations() -> list[str]:
    """Rules that hold at every committed moment. Each query is one statement: one snapshot."""
    t = _tables()
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT o.id, o.active_count, LEAST(o.cap, %s),
                       (SELECT count(*) FROM {t["conversation"]} c WHERE c.operator_id = o.id AND c.state = 'active')
                FROM {t["operator"]} o""",
            [settings.SWITCHBOARD_MAX_CHATS],
        )
        for operator_id, active_count, cap, real in cursor.fetchall():
            if active_count != real:
                found.append(f"operator {operator_id}: active_count {active_count} but {real} active chats")
            if real > cap:
                found.append(f"operator {operator_id}: {real} active chats above the limit {cap}")
        cursor.execute(
            f"""SELECT id, state, operator_id FROM {t["conversation"]}
                WHERE (state = 'active' AND operator_id IS NULL) OR (state = 'queued' AND operator_id IS NOT NULL)"""
        )
        found += [f"conversation {pk} {state} with operator {op}" for pk, state, op in cursor.fetchall()]
    return found


def waiting_beside_a_free_operator() -> list[tuple[int, int]]:
    """Queued chats some online operator with the skill and a free slot could take right now."""
    t = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT c.id, o.id FROM {t["conversation"]} c
                JOIN {t["queue"]} q ON q.id = c.queue_id
                JOIN {t["skills"]} s ON s.skill_id = q.skill_id
                JOIN {t["operator"]} o ON o.id = s.operator_id
                WHERE c.state = 'queued' AND o.status = 'online' AND o.active_count < LEAST(o.cap, %s)""",
            [settings.SWITCHBOARD_MAX_CHATS],
        )
        return cursor.fetchall()


def test_many_processes_never_break_the_cap_or_the_counts(
    queues: dict[str, Queue], reason: Reason, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n, (skills, cap) in enumerate(TEAM):
        operator = do_create_operator(
            username=f"stress-{n}", password="pw-123456", display_name=f"S{n}", skills=skills, cap=cap
        )
        go(operator, "online")
    assigned_before = ConversationStep.objects.filter(kind="assigned").count()

    def assigned() -> int:
        return ConversationStep.objects.filter(kind="assigned").count() - assigned_before

    monkeypatch.setenv("DATABASE_URL", _database_url())  # the children open the test database
    spawn = multiprocessing.get_context("spawn")
    ready, results, start, stop = spawn.Queue(), spawn.Queue(), spawn.Event(), spawn.Event()
    done = spawn.Value("i", 0)
    workers = [
        spawn.Process(target=stress_worker.run, args=(n, MAX_SECONDS, ready, start, stop, done, results), daemon=True)
        for n in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get(timeout=90)
    start.set()
    started = time.monotonic()

    violations: list[str] = []
    checks = 0
    outcomes: list[dict[str, Any]] = []
    while len(outcomes) < WORKERS and time.monotonic() < started + MAX_SECONDS + 30:
        violations += live_violations()
        checks += 1
        elapsed = time.monotonic() - started
        if elapsed >= MIN_SECONDS and done.value >= TARGET_OPERATIONS and assigned() >= TARGET_ASSIGNMENTS:
            stop.set()
        while not results.empty():
            outcomes.append(results.get())
        time.sleep(0.1)
    stop.set()
    seconds = time.monotonic() - started
    for worker in workers:
        worker.join(10)
        if worker.is_alive():
            worker.kill()
    assert len(outcomes) == WORKERS, "a worker did not finish"

    unexpected = [error for outcome in outcomes for error in outcome["unexpected"]]
    assert unexpected == [], unexpected[0]
    assert violations == [], violations[:10]

    # Once the dust settles, nobody waits while someone who could take them has a free slot.
    do_assign_waiting()
    assert waiting_beside_a_free_operator() == []
    assert live_violations() == []

    ops = sum((Counter(outcome["ops"]) for outcome in outcomes), Counter())
    refused = sum((Counter(outcome["refused"]) for outcome in outcomes), Counter())
    assignments = assigned()
    print(
        f"\nstress: {WORKERS} processes, {seconds:.1f} s: {ops.total()} operations {dict(ops)}; "
        f"{assignments} assignments; {checks} checks of the rules"
    )
    print(f"stress: refused in races {dict(refused)}")
    assert checks >= 50
    # Too little work proves nothing; on a machine busy with other jobs, raise STRESS_MAX_SECONDS.
    assert ops.total() >= MIN_OPERATIONS, f"only {ops.total()} operations in {seconds:.0f} s"
    assert assignments >= MIN_ASSIGNMENTS, f"only {assignments} assignments in {seconds:.0f} s"
