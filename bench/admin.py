"""Database-side helpers of the benchmarks, run as ``python -m bench.admin <command> '<json options>'``.

Each command runs in a Django process of the deployment under test (its own database URL), writes
only through chat.actions, and prints one JSON line. The load client never imports Django itself,
so one bench run can drive SQLite and PostgreSQL deployments side by side.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from chat import actions  # noqa: E402
from chat.actions.setup import do_create_operator, do_ensure_queue, do_ensure_reason  # noqa: E402
from chat.models import (  # noqa: E402
    Conversation,
    ConversationState,
    ConversationStep,
    Message,
    Operator,
    OperatorStatus,
    Queue,
    StepKind,
)
from chat.selectors import place_in_head, queue_head, queue_place  # noqa: E402

BENCH_USER_PREFIX = "bench-op-"
# Bench operators never log in with a password (they get a session directly), so hash it cheaply.
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def prepare(_: dict[str, Any]) -> dict[str, Any]:
    """Migrate and create the queue and reason the benchmarks use."""
    call_command("migrate", "--noinput", verbosity=0)
    queue = do_ensure_queue(slug="general", name="General", skill_slug="general", skill_name="General")
    reason = do_ensure_reason(slug="bench", category="Bench", name_en="Bench", name_ru="Тест")
    return {"queue_id": queue.pk, "reason_id": reason.pk}


def _close_share(index: int, workers: int, options: dict[str, Any]) -> None:
    for pk in options["ids"][index::workers]:
        # A conversation closed meanwhile raises; the slate is clean either way.
        with contextlib.suppress(Exception):
            actions.do_close(conversation_id=pk, by="system")


def close_open_conversations() -> int:
    """Close every queued or active conversation (a clean slate between runs), in parallel if many."""
    ids = list(Conversation.objects.exclude(state=ConversationState.CLOSED).values_list("pk", flat=True))
    if len(ids) > 100:
        _in_processes(_close_share, 4, {"ids": ids})
    else:
        _close_share(0, 1, {"ids": ids})
    return len(ids)


def operators(options: dict[str, Any]) -> dict[str, Any]:
    """Exactly ``count`` bench operators online with a logged-in session each; everyone else offline."""
    count: int = options["count"]
    wanted = [f"{BENCH_USER_PREFIX}{i}" for i in range(count)]
    online_others = Operator.objects.exclude(user__username__in=wanted).exclude(status=OperatorStatus.OFFLINE)
    for operator_id in online_others.values_list("pk", flat=True):
        actions.do_set_operator_status(operator_id=operator_id, status=OperatorStatus.OFFLINE)
    close_open_conversations()
    existing = {o.user.username: o for o in Operator.objects.select_related("user").filter(user__username__in=wanted)}
    result = []
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        for username in wanted:
            operator = existing.get(username) or do_create_operator(
                username=username, password="bench-only-pw", display_name=username
            )
            result.append(operator)
    for operator in result:
        actions.do_set_operator_status(operator_id=operator.pk, status=OperatorStatus.ONLINE)
    sessions = []
    if options.get("sessions", True):
        for operator in result:
            session = SessionStore()
            session[SESSION_KEY] = str(operator.user.pk)
            session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]  # the one a sign-in would record
            session[HASH_SESSION_KEY] = operator.user.get_session_auth_hash()
            session.create()
            sessions.append({"operator_id": operator.pk, "sessionid": session.session_key})
    return {"operators": sessions or [{"operator_id": o.pk} for o in result]}


def reset(_: dict[str, Any]) -> dict[str, Any]:
    return {"closed": close_open_conversations()}


def messages_seen(options: dict[str, Any]) -> dict[str, Any]:
    """Stored time (epoch seconds) of inbound messages by external id, for 'time until it is stored'."""
    rows = Message.objects.filter(connector=options["connector"], external_id__startswith=options["prefix"])
    return {"stored": {ext: at.timestamp() for ext, at in rows.values_list("external_id", "created_at")}}


def widget_tokens(options: dict[str, Any]) -> dict[str, Any]:
    """Signed visitor tokens, as ``POST /connectors/widget/session/`` issues them, without the HTTP."""
    from connectors.widget.signing import issue_token, new_visitor_id

    return {"tokens": [issue_token(new_visitor_id()) for _ in range(options["count"])]}


# --- Assignment burst -----------------------------------------------------------------------------


def _in_processes(worker: Callable[[int, int, dict[str, Any]], None], workers: int, options: dict[str, Any]) -> None:
    """Run ``worker(index, workers, options)`` in forked processes, each with its own DB connection."""
    connections.close_all()
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=worker, args=(i, workers, options)) for i in range(workers)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a burst worker failed with exit code {process.exitcode}")


def _arrive(index: int, workers: int, options: dict[str, Any]) -> None:
    for n in range(index, options["conversations"], workers):
        actions.do_receive_inbound(
            actions.InboundMessage(connector="widget", sender_id=f"burst-{options['run']}-{n}", text=f"burst {n}")
        )


def _close_at_rate(index: int, workers: int, options: dict[str, Any]) -> None:
    """Close this worker's share of chats so that all workers together close ``rate`` per second."""
    mine = options["to_close"][index::workers]
    interval = workers / options["rate"]
    started = time.monotonic() + index * (1 / options["rate"])
    for k, (conversation_id, operator_id) in enumerate(mine):
        delay = started + k * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        actions.do_close(
            conversation_id=conversation_id, operator_id=operator_id, reason_id=options["reason_id"], by="operator"
        )


def _cap_violations() -> int:
    """Operators holding more active chats than their cap (or than the site-wide cap), in plain SQL."""
    operator_table = Operator._meta.db_table
    conversation_table = Conversation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT COUNT(*) FROM (
              SELECT o.id FROM {operator_table} o
              JOIN {conversation_table} c ON c.operator_id = o.id AND c.state = %s
              GROUP BY o.id, o.cap
              HAVING COUNT(*) > LEAST(o.cap, %s) OR COUNT(*) <> MAX(o.active_count)
            ) AS over_cap
            """,
            [ConversationState.ACTIVE, settings.SWITCHBOARD_MAX_CHATS],
        )
        return int(cursor.fetchone()[0])


def _positions_correct(run: str) -> dict[str, Any]:
    """Queue positions the product reports against the order (queued_at, id) recomputed here."""
    queued = list(
        Conversation.objects.filter(state=ConversationState.QUEUED)
        .order_by("queued_at", "id")
        .values_list("pk", flat=True)
    )
    expected = {pk: i + 1 for i, pk in enumerate(queued)}
    # What every waiting widget derives from its queue's one ``queue.moved`` event (the live path),
    # beside what a widget asking for its place is told (the on-demand path).
    pushed: dict[int, int | None] = {}
    for queue_id in Queue.objects.values_list("pk", flat=True):
        payload = queue_head(queue_id).as_payload()
        for pk, _ in payload["head"]:
            pushed[pk] = (place_in_head(payload, pk) or {}).get("position")
    sample = random.Random(run).sample(queued, min(50, len(queued)))
    asked = {pk: getattr(queue_place(pk), "position", None) for pk in sample}
    wrong = [pk for pk, position in {**pushed, **asked}.items() if expected.get(pk) != position]
    return {"queued": len(queued), "checked": len(pushed) + len(asked), "wrong": len(wrong)}


def _seconds(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds()


def burst(options: dict[str, Any]) -> dict[str, Any]:
    """N conversations at once with M operators online; then closes at a fixed rate."""
    run = str(int(time.time()))
    count_ops: int = options["operators"]
    conversations: int = options["conversations"]
    workers: int = options.get("workers", 4)
    reason_id = prepare({})["reason_id"]
    operators({"count": count_ops, "sessions": False})
    online = Operator.objects.filter(status=OperatorStatus.ONLINE)
    slots = sum(min(o.cap, settings.SWITCHBOARD_MAX_CHATS) for o in online)
    started_wall = time.time()
    started = time.monotonic()
    _in_processes(_arrive, workers, {"conversations": conversations, "run": run})
    arrived_seconds = time.monotonic() - started
    burst_ids = Conversation.objects.filter(contact__identities__external_id__startswith=f"burst-{run}-")
    assigned_steps = list(
        ConversationStep.objects.filter(conversation__in=burst_ids, kind=StepKind.ASSIGNED)
        .order_by("at")
        .values_list("at", flat=True)
    )
    filled_at = assigned_steps[slots - 1].timestamp() - started_wall if len(assigned_steps) >= slots else None
    active = burst_ids.filter(state=ConversationState.ACTIVE).count()
    positions = _positions_correct(run)
    violations_after_burst = _cap_violations()

    # Close chats at a fixed rate and time each close to the next assignment to that operator.
    close_count = min(options["close_count"], active)
    to_close = list(
        burst_ids.filter(state=ConversationState.ACTIVE).order_by("?").values_list("pk", "operator_id")[:close_count]
    )
    close_started = time.monotonic()
    close_options = {"to_close": to_close, "rate": options["rate"], "reason_id": reason_id}
    _in_processes(_close_at_rate, min(workers, max(1, close_count)), close_options)
    close_seconds = time.monotonic() - close_started
    latencies = []
    for conversation_id, operator_id in to_close:
        closed_at = Conversation.objects.filter(pk=conversation_id).values_list("closed_at", flat=True).first()
        following = (
            ConversationStep.objects.filter(kind=StepKind.ASSIGNED, operator_id=operator_id, at__gte=closed_at)
            .order_by("at")
            .values_list("at", flat=True)
            .first()
        )
        if closed_at is not None and following is not None:
            latencies.append(_seconds(closed_at, following) * 1000)
    return {
        "operators": count_ops,
        "slots": slots,
        "conversations": conversations,
        "arrival_workers": workers,
        "all_arrived_s": round(arrived_seconds, 2),
        "arrival_rate": round(conversations / arrived_seconds),
        "slots_filled_s": None if filled_at is None else round(filled_at, 2),
        "active_after_burst": active,
        "queued_after_burst": positions["queued"],
        "positions_checked": positions["checked"],
        "positions_wrong": positions["wrong"],
        "cap_violations_after_burst": violations_after_burst,
        "closed": len(to_close),
        "close_rate_achieved": round(len(to_close) / close_seconds, 1) if close_seconds else None,
        "next_assignments": len(latencies),
        "close_to_next_ms": latencies,
        "cap_violations_after_closes": _cap_violations(),
        "cleanup_closed": close_open_conversations() if options.get("cleanup", True) else 0,
    }


COMMANDS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "prepare": prepare,
    "operators": operators,
    "reset": reset,
    "messages_seen": messages_seen,
    "widget_tokens": widget_tokens,
    "burst": burst,
}

if __name__ == "__main__":
    command, raw = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "{}"
    print(json.dumps(COMMANDS[command](json.loads(raw))))
