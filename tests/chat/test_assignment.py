"""Queueing and assignment as operators and shoppers see it."""

from __future__ import annotations

import pytest
from django.test import override_settings

from chat.actions import do_close, do_set_operator_status, do_transfer
from chat.errors import InvalidInput
from chat.models import Conversation, ConversationState, Operator
from chat.selectors import queue_place

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


def online(operator: Operator) -> Operator:
    do_set_operator_status(operator_id=operator.pk, status="online")
    operator.refresh_from_db()
    return operator


def test_first_message_is_assigned_to_an_online_operator(make_operator, shopper_writes):
    anna = online(make_operator("Anna"))
    received = shopper_writes("visitor-1", "Where is my order?")
    conversation = Conversation.objects.get(pk=received.conversation.pk)
    assert conversation.state == ConversationState.ACTIVE
    assert conversation.operator_id == anna.pk
    assert conversation.assigned_at is not None and conversation.queued_at <= conversation.assigned_at


def test_fifth_chat_waits_and_is_assigned_when_a_slot_frees(make_operator, shopper_writes, reason):
    anna = online(make_operator("Anna"))
    chats = [shopper_writes(f"v{i}").conversation for i in range(5)]
    states = [Conversation.objects.get(pk=c.pk).state for c in chats]
    assert states == ["active"] * 4 + ["queued"]
    place = queue_place(chats[4].pk)
    assert place is not None and place.position == 1
    do_close(conversation_id=chats[0].pk, operator_id=anna.pk, reason_id=reason.pk)
    fifth = Conversation.objects.get(pk=chats[4].pk)
    assert fifth.state == "active" and fifth.operator_id == anna.pk
    anna.refresh_from_db()
    assert anna.active_count == 4


def test_oldest_first_and_positions_move(make_operator, shopper_writes, reason):
    chats = [shopper_writes(f"v{i}").conversation for i in range(3)]
    assert [queue_place(c.pk).position for c in chats] == [1, 2, 3]
    anna = online(make_operator("Anna", cap=1))
    assert Conversation.objects.get(pk=chats[0].pk).operator_id == anna.pk
    assert [queue_place(c.pk).position for c in chats[1:]] == [1, 2]


def test_least_loaded_then_idle_longest(make_operator, shopper_writes):
    anna = online(make_operator("Anna"))
    boris = online(make_operator("Boris"))
    first = shopper_writes("v1").conversation
    second = shopper_writes("v2").conversation
    owners = {Conversation.objects.get(pk=first.pk).operator_id, Conversation.objects.get(pk=second.pk).operator_id}
    assert owners == {anna.pk, boris.pk}


def test_personal_cap_is_respected_and_cannot_exceed_site_cap(make_operator, shopper_writes):
    online(make_operator("Anna", cap=2))
    chats = [shopper_writes(f"v{i}").conversation for i in range(3)]
    assert [Conversation.objects.get(pk=c.pk).state for c in chats] == ["active", "active", "queued"]
    with pytest.raises(InvalidInput):
        make_operator("Greedy", cap=5)


@override_settings(SWITCHBOARD_MAX_CHATS=2)
def test_site_cap_wins_over_an_older_higher_personal_cap(make_operator, shopper_writes):
    anna = make_operator("Anna", cap=2)
    Operator.objects.filter(pk=anna.pk).update(cap=4)  # set before the site-wide limit was lowered
    online(anna)
    chats = [shopper_writes(f"v{i}").conversation for i in range(3)]
    assert [Conversation.objects.get(pk=c.pk).state for c in chats] == ["active", "active", "queued"]


def test_stylist_chats_go_only_to_stylists(make_operator, shopper_writes):
    anna = online(make_operator("Anna"))
    sofia = online(make_operator("Sofia", skills=["stylist"]))
    styled = shopper_writes("v1", queue_slug="stylist").conversation
    general = shopper_writes("v2").conversation
    assert Conversation.objects.get(pk=styled.pk).operator_id == sofia.pk
    assert Conversation.objects.get(pk=general.pk).operator_id == anna.pk


def test_away_keeps_chats_and_takes_no_new_ones(make_operator, shopper_writes):
    anna = online(make_operator("Anna"))
    first = shopper_writes("v1").conversation
    do_set_operator_status(operator_id=anna.pk, status="away")
    second = shopper_writes("v2").conversation
    assert Conversation.objects.get(pk=first.pk).operator_id == anna.pk
    assert Conversation.objects.get(pk=second.pk).state == "queued"


def test_offline_returns_chats_to_the_head_of_the_queue(make_operator, shopper_writes):
    anna = online(make_operator("Anna", cap=1))
    first = shopper_writes("v1").conversation
    second = shopper_writes("v2").conversation
    queued_at = Conversation.objects.get(pk=first.pk).queued_at
    requeued = do_set_operator_status(operator_id=anna.pk, status="offline")
    assert requeued == [first.pk]
    back = Conversation.objects.get(pk=first.pk)
    assert back.state == "queued" and back.queued_at == queued_at
    assert queue_place(first.pk).position == 1 and queue_place(second.pk).position == 2
    boris = online(make_operator("Boris", cap=1))
    assert Conversation.objects.get(pk=first.pk).operator_id == boris.pk


def test_transfer_to_a_queue_frees_the_slot_and_keeps_history(make_operator, shopper_writes, queues):
    anna = online(make_operator("Anna", cap=1))
    chat = shopper_writes("v1", "I need styling advice").conversation
    waiting = shopper_writes("v2").conversation
    do_transfer(conversation_id=chat.pk, actor_operator_id=anna.pk, to_queue_id=queues["stylist"].pk)
    moved = Conversation.objects.get(pk=chat.pk)
    assert moved.state == "queued" and moved.queue_id == queues["stylist"].pk
    assert list(moved.messages.values_list("author_kind", "text")) == [
        ("shopper", "I need styling advice"),
        (
            "system",
            "Anna passed the chat to the Stylist consultation queue. You keep your place: the next free "
            "operator will answer.",
        ),
    ]
    assert Conversation.objects.get(pk=waiting.pk).operator_id == anna.pk
