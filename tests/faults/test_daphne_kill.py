"""kill -9 of one daphne process mid-conversation, behind nginx, while shoppers and operators write.

Two daphne processes behind nginx rendered from deploy/, one Redis, PostgreSQL. Four shoppers on the
widget and two operators in the workspace, their sockets spread over both processes by nginx. One
process is killed -9 while both sides keep writing; clients reconnect through nginx (to the survivor)
and resume from the last id they saw. Afterwards every message sent is stored once and shown once on
each side.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from chat.models import Message
from tests.faults.conftest import Cluster, record
from tests.faults.people import Operator, Shopper, eventually, login

pytestmark = [pytest.mark.faults]

SHOPPERS = 4
SHOPPER_MESSAGES = 25
OPERATOR_REPLIES = 12


async def scenario(cluster: Cluster, operators: list[Operator]) -> dict[str, object]:
    stop = asyncio.Event()
    shoppers = [Shopper(cluster.url, f"s{n}") for n in range(SHOPPERS)]
    for shopper in shoppers:
        await shopper.session()
    people: list[Operator | Shopper] = [*operators, *shoppers]
    runs = [asyncio.create_task(person.run(stop)) for person in people]
    for operator in operators:
        await operator.connected()
    for operator in operators:
        answer = await asyncio.to_thread(operator.api, "POST", "/me/status", {"status": "online"})
        assert answer.status_code == 200, answer.text
    for shopper in shoppers:
        await shopper.connected()
        await shopper.write(f"{shopper.name} hello")

    chats: dict[int, list[int]] = {}

    def assigned() -> int:
        for operator in operators:
            answer = operator.api("GET", "/conversations")
            chats[operator.operator_id] = sorted(c["id"] for c in answer.json()) if answer.status_code == 200 else []
        return sum(len(c) for c in chats.values())

    def chats_of(operator: Operator) -> list[int]:
        return chats[operator.operator_id]

    await eventually(lambda: assigned() == SHOPPERS, 20)
    assert sum(len(c) for c in chats.values()) == SHOPPERS, "every chat reaches an operator"

    async def shopper_writes(shopper: Shopper) -> None:
        for n in range(SHOPPER_MESSAGES):
            await shopper.write(f"{shopper.name} #{n}")
            await asyncio.sleep(0.12)

    def operator_replies(operator: Operator) -> None:
        for n in range(OPERATOR_REPLIES):
            for conversation_id in chats_of(operator):
                operator.reply(conversation_id, f"op{operator.operator_id} to {conversation_id} #{n}")
            time.sleep(0.15)

    async def kill_one() -> float:
        await asyncio.sleep(1.0)
        cluster.daphnes[0].kill()
        killed_at = time.monotonic()
        await asyncio.sleep(2.0)
        await asyncio.to_thread(cluster.restart_daphne, 0)  # the unit's Restart=always, by hand
        return killed_at

    writers = [asyncio.create_task(shopper_writes(s)) for s in shoppers]
    replies = [asyncio.create_task(asyncio.to_thread(operator_replies, o)) for o in operators]
    killer = asyncio.create_task(kill_one())
    await asyncio.gather(*writers, *replies)
    await killer

    def everything_shown() -> bool:
        stored = list(Message.objects.filter(is_note=False).values_list("id", "conversation_id", "author_kind"))
        for shopper in shoppers:
            mine = {m for m, c, _ in stored if c == shopper.conversation_id}
            if shopper.outbox or not mine <= set(shopper.shown):
                return False
        for operator in operators:
            theirs = {m for m, c, kind in stored if c in chats_of(operator) and kind == "shopper"}
            if not theirs <= set(operator.shown):
                return False
        return True

    await eventually(everything_shown, 30)
    stop.set()
    await asyncio.gather(*runs)
    return {"shoppers": shoppers, "chats": chats}


def test_kill_9_of_one_daphne_loses_and_doubles_nothing(cluster, make_operator):
    cluster.start(2)
    names = [make_operator(name) for name in ("anna", "boris")]
    operators = [Operator(cluster.url, login(cluster.url, o.user.username, "pw-123456")) for o in names]
    started = time.monotonic()
    result = asyncio.run(scenario(cluster, operators))
    shoppers: list[Shopper] = result["shoppers"]  # type: ignore[assignment]

    stored = Counter(Message.objects.filter(is_note=False).values_list("text", flat=True))
    shopper_texts = [text for s in shoppers for text in s.sent.values()]
    operator_texts = [text for o in operators for text in o.replies_sent]
    sent = shopper_texts + operator_texts
    lost = [t for t in sent if stored[t] == 0]
    doubled = [t for t in sent if stored[t] > 1]
    # Shown: each side sees every stored message of its chat exactly once (by id, as the pages do).
    shown_to_shoppers = Counter(m["text"] for s in shoppers for m in s.shown.values())
    chats: dict[int, list[int]] = result["chats"]  # type: ignore[assignment]
    shown_to_operators = Counter(
        m["text"]
        for o in operators
        for m in o.shown.values()
        if m["author_kind"] == "shopper" and m["conversation_id"] in chats[o.operator_id]
    )
    not_shown_to_shoppers = [t for t in sent if shown_to_shoppers[t] != 1]
    not_shown_to_operators = [t for t in shopper_texts if shown_to_operators[t] != 1]
    resumed = [*(x for s in shoppers for x in s.resumed_after), *(x for o in operators for x in o.resumed_after)]
    figures = {
        "messages_sent": len(sent),
        "shopper_messages": len(shopper_texts),
        "operator_replies": len(operator_texts),
        "stored": sum(stored[t] for t in sent),
        "shown_to_shoppers": sum(shown_to_shoppers[t] for t in sent),
        "shown_to_operators": sum(shown_to_operators[t] for t in shopper_texts),
        "lost": len(lost),
        "doubled": len(doubled),
        "reconnected_clients": sum(1 for p in [*shoppers, *operators] if p.reconnects),
        "operator_replies_resent_after_502": sum(o.replies_retried for o in operators),
        "seconds_until_resumed_max": round(max(resumed, default=0.0), 2),
        "seconds_until_resumed_median": round(sorted(resumed)[len(resumed) // 2], 2) if resumed else 0.0,
        "run_seconds": round(time.monotonic() - started, 1),
    }
    record("daphne_kill", figures)
    assert figures["reconnected_clients"] > 0, "the kill dropped nobody: the sockets were not spread"
    assert (lost, doubled) == ([], []), cluster.logs()
    assert not_shown_to_shoppers == [], cluster.logs()
    assert not_shown_to_operators == [], cluster.logs()
