"""Two or more actions at the same instant from different threads, on PostgreSQL's real row locks."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any, cast

import pytest
from django.db import connection

from chat.actions import InboundMessage, do_close, do_receive_inbound, do_set_operator_status, do_transfer
from chat.errors import ChatError
from chat.models import Conversation, Operator
from tests.chat.conftest import go

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite lets one writer in at a time: no race to run"),
]


def race(*actions: Callable[[], Any]) -> list[Any]:
    """Start every action at once, each in its own thread and database connection; results or errors."""
    start = threading.Barrier(len(actions))
    outcomes: list[Any] = [None] * len(actions)

    def run(n: int) -> None:
        try:
            start.wait()
            outcomes[n] = actions[n]()
        except Exception as exc:
            outcomes[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def writes(sender: str) -> Callable[[], Any]:
    return lambda: do_receive_inbound(InboundMessage(connector="widget", sender_id=sender, text="hi"))


def assert_counts_true() -> None:
    for op in Operator.objects.all():
        real = Conversation.objects.filter(operator=op, state="active").count()
        assert op.active_count == real <= op.effective_cap, f"{op}: count {op.active_count}, really {real}"


def test_four_shoppers_racing_for_the_last_slot_get_it_once(make_operator, queues) -> None:
    anna = go(make_operator("Anna", cap=1), "online")
    for round_no in range(5):
        outcomes = race(*(writes(f"r{round_no}-s{n}") for n in range(4)))
        assert not [o for o in outcomes if isinstance(o, Exception)]
        assert Operator.objects.get(pk=anna.pk).active_count == 1
        assert Conversation.objects.filter(state="active").count() == 1
        active = Conversation.objects.get(state="active")
        do_close(conversation_id=active.pk, by="shopper")  # frees the slot: the oldest waiting one gets it
        assert_counts_true()


def test_two_operators_swapping_chats_at_once_both_succeed(make_operator, queues) -> None:
    """Opposite lock orders on the two operator rows: PostgreSQL aborts one, the action reruns it."""
    anna = go(make_operator("Anna", cap=2), "online")
    boris = go(make_operator("Boris", cap=2), "online")
    for round_no in range(6):
        first = writes(f"a{round_no}")().conversation.pk
        second = writes(f"b{round_no}")().conversation.pk
        # Both chats were just assigned (asserted next): no operator id is None.
        owner = cast(
            dict[int, int], dict(Conversation.objects.filter(pk__in=[first, second]).values_list("pk", "operator_id"))
        )
        assert set(owner.values()) == {anna.pk, boris.pk}
        outcomes = race(
            partial(do_transfer, conversation_id=first, actor_operator_id=owner[first], to_operator_id=owner[second]),
            partial(do_transfer, conversation_id=second, actor_operator_id=owner[second], to_operator_id=owner[first]),
        )
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        swapped = dict(Conversation.objects.filter(pk__in=[first, second]).values_list("pk", "operator_id"))
        assert swapped == {first: owner[second], second: owner[first]}
        assert_counts_true()
        for pk in (first, second):
            do_close(conversation_id=pk, by="shopper")


def test_going_offline_while_closing_and_receiving_keeps_the_count_true(make_operator, reason, queues) -> None:
    anna = go(make_operator("Anna", cap=3), "online")
    for round_no in range(5):
        chats = [writes(f"o{round_no}-{n}")().conversation.pk for n in range(3)]
        outcomes = race(
            lambda: do_set_operator_status(operator_id=anna.pk, status="offline"),
            partial(do_close, conversation_id=chats[0], operator_id=anna.pk, reason_id=reason.pk),
            writes(f"o{round_no}-late"),
        )
        unexpected = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, ChatError)]
        assert unexpected == []
        anna.refresh_from_db()
        assert anna.status == "offline" and anna.active_count == 0
        assert not Conversation.objects.filter(state="active").exists()
        assert_counts_true()
        go(anna, "online")
        for pk in Conversation.objects.exclude(state="closed").values_list("pk", flat=True):
            do_close(conversation_id=pk, by="shopper")
