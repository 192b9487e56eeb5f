"""Seating many queued chats at once: a close, operators coming online, a requeue fill every free
slot in one batch, oldest chat first, least-loaded operator first, never past anyone's cap."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chat.actions import do_assign_waiting, do_close, do_set_operator_status
from chat.models import Conversation, ConversationStep, Operator, OperatorStatus, StepKind
from tests.chat.test_races import assert_counts_true, race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


def waiting_chats(shopper_writes: Callable[..., Any], count: int, *, queue_slug: str = "general") -> list[int]:
    """``count`` chats that queue with nobody free, oldest first."""
    return [shopper_writes(f"{queue_slug}-{n}", queue_slug=queue_slug).conversation.pk for n in range(count)]


def online_without_a_trigger(*operators: Operator) -> None:
    """Operators who are online but whose going online has not assigned anything yet (as when
    several log in within the same moment and the batch after the first commit sees them all)."""
    Operator.objects.filter(pk__in=[o.pk for o in operators]).update(status=OperatorStatus.ONLINE)


def owners(chat_ids: list[int]) -> list[int | None]:
    rows = dict(Conversation.objects.filter(pk__in=chat_ids).values_list("pk", "operator_id"))
    return [rows[pk] for pk in chat_ids]


def test_operators_coming_online_fill_every_slot_oldest_first_least_loaded_first(make_operator, shopper_writes):
    chats = waiting_chats(shopper_writes, 12)
    anna, boris, vera = make_operator("Anna", cap=4), make_operator("Boris", cap=3), make_operator("Vera", cap=1)
    online_without_a_trigger(anna, boris, vera)

    seated = do_assign_waiting()

    assert [a.conversation_id for a in seated] == chats[:8]  # 4 + 3 + 1 slots, the oldest eight
    # Round by round the least-loaded operator takes the next chat (ties: the older account), so the
    # oldest chats are spread over everyone rather than piled on whoever comes first.
    assert owners(chats[:8]) == [anna.pk, boris.pk, vera.pk, anna.pk, boris.pk, anna.pk, boris.pk, anna.pk]
    assert owners(chats[8:]) == [None] * 4
    assert [Operator.objects.get(pk=o.pk).active_count for o in (anna, boris, vera)] == [4, 3, 1]
    assert ConversationStep.objects.filter(kind=StepKind.ASSIGNED).count() == 8
    assert_counts_true()


def test_a_batch_costs_the_same_statements_for_two_seats_as_for_eight(make_operator, shopper_writes):
    chats = waiting_chats(shopper_writes, 12)  # some still wait after both: the same position reads
    first = make_operator("Anna", cap=2)
    online_without_a_trigger(first)
    with CaptureQueriesContext(connection) as two:
        assert len(do_assign_waiting()) == 2
    rest = [make_operator(f"op{n}", cap=2) for n in range(4)]
    online_without_a_trigger(*rest)
    with CaptureQueriesContext(connection) as eight:
        assert len(do_assign_waiting()) == 8
    assert len(eight.captured_queries) == len(two.captured_queries)
    assert set(owners(chats[:10])) == {first.pk, *(o.pk for o in rest)}


def test_skills_are_respected_and_a_stylist_backlog_blocks_no_general_chat(make_operator, shopper_writes):
    styled = waiting_chats(shopper_writes, 5, queue_slug="stylist")  # older than every general chat
    general = waiting_chats(shopper_writes, 3)
    sofia = make_operator("Sofia", skills=["stylist"], cap=1)
    anna = make_operator("Anna", skills=["general"], cap=2)
    both = make_operator("Both", skills=["general", "stylist"], cap=1)
    online_without_a_trigger(sofia, anna, both)

    do_assign_waiting()

    # Sofia and Both take the two oldest stylist chats; Anna, who has no stylist skill, the general ones.
    assert owners(styled) == [sofia.pk, both.pk, None, None, None]
    assert owners(general) == [anna.pk, anna.pk, None]
    assert_counts_true()


def test_the_operator_passed_over_for_a_first_reply_comes_last(make_operator, shopper_writes):
    chat = waiting_chats(shopper_writes, 1)[0]
    anna, boris = make_operator("Anna"), make_operator("Boris", cap=1)
    Conversation.objects.filter(pk=chat).update(passed_over_operator=anna)
    online_without_a_trigger(anna, boris)

    do_assign_waiting()

    assert owners([chat]) == [boris.pk]  # otherwise Anna, the older account with more free slots


def test_a_close_seats_the_next_chat_at_once(make_operator, shopper_writes, reason):
    anna = make_operator("Anna", cap=2)
    online_without_a_trigger(anna)
    chats = waiting_chats(shopper_writes, 4)
    do_assign_waiting()
    do_close(conversation_id=chats[0], operator_id=anna.pk, reason_id=reason.pk, by="operator")
    assert owners(chats[1:]) == [anna.pk, anna.pk, None]
    assert_counts_true()


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite lets one writer in at a time: no race to run")
def test_many_operators_logging_in_and_closing_at_once_never_pass_a_cap(make_operator, shopper_writes, reason):
    """Ten operators go online in ten threads at the same instant over a queue of forty, then close
    at once: every batch locks what it seats, so every slot fills exactly once, oldest chats first."""
    chats = waiting_chats(shopper_writes, 40)
    team = [make_operator(f"op{n}", cap=1 + n % 4) for n in range(10)]
    slots = sum(o.effective_cap for o in team)

    outcomes = race(*(partial(do_set_operator_status, operator_id=o.pk, status="online") for o in team))

    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert_counts_true()
    assert Conversation.objects.filter(state="active").count() == slots
    assert all(owner is not None for owner in owners(chats[:slots]))
    assert all(owner is None for owner in owners(chats[slots:]))

    held = list(Conversation.objects.filter(state="active").values_list("pk", "operator_id")[:10])
    closes: list[Callable[[], Any]] = [
        partial(do_close, conversation_id=pk, operator_id=operator_id, reason_id=reason.pk, by="operator")
        for pk, operator_id in held
    ]
    outcomes = race(*closes)

    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert_counts_true()
    # Each close's batch (or a neighbour's) seated the next oldest: still every slot full, in order.
    assert Conversation.objects.filter(state="active").count() == slots
    assert all(owner is not None for owner in owners(chats[10 : slots + 10]))
    assert all(owner is None for owner in owners(chats[slots + 10 :]))
