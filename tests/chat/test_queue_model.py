"""The queue against a plain model of it: random days of shoppers and operators, compared step by step.

The model is the rule as a manager would state it: a queue per skill, first come first served; a chat
goes to the online operator with that skill, a free slot and the fewest chats, the one idle longest on
a tie; nobody holds more than min(their limit, the site-wide limit); offline gives chats back with
their place kept; away keeps them and takes no more.

QUEUE_MODEL_EXAMPLES=500 runs a deeper search than the default 30 examples.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from chat.actions import InboundMessage, do_close, do_receive_inbound, do_set_operator_status, do_transfer
from chat.actions.setup import do_create_operator
from chat.errors import InvalidInput, OperatorUnavailable
from chat.models import Contact, Conversation, Operator, Queue, Reason
from chat.selectors import place_in_head, queue_head, queue_places

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

SITE_CAP = 3
QUEUES = ("general", "stylist")  # each queue needs the skill of the same name
OPERATOR_SKILLS = ({"general"}, {"general", "stylist"}, {"stylist"}, {"general"})
STATUSES = ("online", "away", "offline")
_senders = itertools.count(1)


@dataclass
class ModelOperator:
    pk: int
    skills: frozenset[str]
    cap: int  # already the effective one: min(personal, site-wide)
    status: str = "offline"
    last_assigned: int | None = None


@dataclass
class ModelChat:
    pk: int
    queue: str
    queued_at: int
    state: str = "queued"
    operator: int | None = None


class QueueModel:
    def __init__(self, operators: list[ModelOperator]) -> None:
        self.operators = {op.pk: op for op in operators}
        self.chats: dict[int, ModelChat] = {}
        self.clock = itertools.count()

    def active(self, operator_id: int | None = None) -> list[ModelChat]:
        return [c for c in self.chats.values() if c.state == "active" and operator_id in (None, c.operator)]

    def queued(self) -> list[ModelChat]:
        return sorted((c for c in self.chats.values() if c.state == "queued"), key=lambda c: (c.queued_at, c.pk))

    def has_free_slot(self, op: ModelOperator) -> bool:
        return op.status == "online" and len(self.active(op.pk)) < op.cap

    def assign_all(self) -> None:
        while True:
            free = [op for op in self.operators.values() if self.has_free_slot(op)]
            served = {skill for op in free for skill in op.skills}
            waiting = [c for c in self.queued() if c.queue in served]
            if not waiting:
                return
            chat = waiting[0]
            chosen = min(
                (op for op in free if chat.queue in op.skills),
                key=lambda op: (len(self.active(op.pk)), op.last_assigned is not None, op.last_assigned or 0, op.pk),
            )
            chat.state, chat.operator = "active", chosen.pk
            chosen.last_assigned = next(self.clock)

    def enqueue_new(self, pk: int, queue: str) -> None:
        self.chats[pk] = ModelChat(pk=pk, queue=queue, queued_at=next(self.clock))
        self.assign_all()

    def requeue(self, chat: ModelChat) -> None:
        chat.state, chat.operator = "queued", None  # queued_at is kept: back at the head

    def set_status(self, op: ModelOperator, status: str) -> None:
        if op.status == status:
            return
        op.status = status
        if status == "offline":
            for chat in self.active(op.pk):
                self.requeue(chat)
        self.assign_all()

    def close(self, chat: ModelChat) -> None:
        chat.state = "closed"  # a closed chat still names who had it
        self.assign_all()

    def transfer_to_queue(self, chat: ModelChat, queue: str) -> None:
        chat.queue = queue
        self.requeue(chat)
        self.assign_all()

    def transfer_to_operator(
        self, chat: ModelChat, target: ModelOperator
    ) -> type[InvalidInput] | type[OperatorUnavailable] | None:
        if target.pk == chat.operator:
            return InvalidInput
        if chat.queue not in target.skills or not self.has_free_slot(target):
            return OperatorUnavailable
        chat.operator = target.pk
        target.last_assigned = next(self.clock)
        self.assign_all()
        return None

    def positions(self) -> dict[int, int]:
        places: dict[int, int] = {}
        for queue in QUEUES:
            for n, chat in enumerate((c for c in self.queued() if c.queue == queue), start=1):
                places[chat.pk] = n
        return places


def reset_database() -> None:
    """Test setup between examples: drop the previous example's chats and operators, keep the lists."""
    Conversation.objects.all().delete()
    Contact.objects.all().delete()
    Operator.objects.all().delete()
    get_user_model().objects.all().delete()


class QueueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        reset_database()
        self.site_cap = override_settings(SWITCHBOARD_MAX_CHATS=SITE_CAP)
        self.site_cap.enable()
        self.reason_id = Reason.objects.get(slug="order-where").pk
        self.queue_ids = dict(Queue.objects.values_list("slug", "pk"))
        self.model = QueueModel([])

    def teardown(self) -> None:
        self.site_cap.disable()

    @initialize(caps=st.lists(st.integers(1, 4), min_size=len(OPERATOR_SKILLS), max_size=len(OPERATOR_SKILLS)))
    def hire(self, caps: list[int]) -> None:
        operators = []
        for n, (skills, cap) in enumerate(zip(OPERATOR_SKILLS, caps, strict=True)):
            op = do_create_operator(
                username=f"op{n}-{next(_senders)}",
                password="pw-123456",
                display_name=f"Op {n}",
                skills=sorted(skills),
                cap=min(cap, SITE_CAP),
            )
            if cap > SITE_CAP:
                Operator.objects.filter(pk=op.pk).update(cap=cap)  # a limit set before the site-wide one fell
            operators.append(ModelOperator(pk=op.pk, skills=frozenset(skills), cap=min(cap, SITE_CAP)))
        self.model = QueueModel(operators)

    def _operator(self, n: int) -> ModelOperator:
        return list(self.model.operators.values())[n % len(self.model.operators)]

    @rule(queue=st.sampled_from(QUEUES))
    def shopper_writes(self, queue: str) -> None:
        received = do_receive_inbound(
            InboundMessage(connector="widget", sender_id=f"shopper-{next(_senders)}", text="hi", queue_slug=queue)
        )
        assert received.new_conversation
        self.model.enqueue_new(received.conversation.pk, queue)

    @rule(n=st.integers(0, 3), status=st.sampled_from(STATUSES))
    def operator_status(self, n: int, status: str) -> None:
        op = self._operator(n)
        do_set_operator_status(operator_id=op.pk, status=status)
        self.model.set_status(op, status)

    @precondition(lambda self: self.model.active())
    @rule(pick=st.integers(0, 100))
    def operator_closes(self, pick: int) -> None:
        chat = self.model.active()[pick % len(self.model.active())]
        do_close(conversation_id=chat.pk, operator_id=chat.operator, reason_id=self.reason_id)
        self.model.close(chat)

    @precondition(lambda self: self.model.active() or self.model.queued())
    @rule(pick=st.integers(0, 100))
    def shopper_leaves(self, pick: int) -> None:
        open_chats = self.model.active() + self.model.queued()
        chat = open_chats[pick % len(open_chats)]
        do_close(conversation_id=chat.pk, by="shopper")
        self.model.close(chat)

    @precondition(lambda self: self.model.active())
    @rule(pick=st.integers(0, 100), queue=st.sampled_from(QUEUES))
    def transfer_to_queue(self, pick: int, queue: str) -> None:
        chat = self.model.active()[pick % len(self.model.active())]
        assert chat.operator is not None  # an active chat has its operator
        do_transfer(conversation_id=chat.pk, actor_operator_id=chat.operator, to_queue_id=self.queue_ids[queue])
        self.model.transfer_to_queue(chat, queue)

    @precondition(lambda self: self.model.active())
    @rule(pick=st.integers(0, 100), n=st.integers(0, 3))
    def transfer_to_operator(self, pick: int, n: int) -> None:
        chat = self.model.active()[pick % len(self.model.active())]
        source, target = chat.operator, self._operator(n)
        assert source is not None  # an active chat has its operator
        expected_error = self.model.transfer_to_operator(chat, target)
        transfer = {"conversation_id": chat.pk, "actor_operator_id": source, "to_operator_id": target.pk}
        if expected_error is None:
            do_transfer(**transfer)
        else:
            with pytest.raises(expected_error):
                do_transfer(**transfer)

    @invariant()
    def database_matches_the_model_and_the_rules(self) -> None:
        chats = list(Conversation.objects.values_list("pk", "state", "operator", "queue"))
        stored = {pk: (state, operator_id, queue_id) for pk, state, operator_id, queue_id in chats}
        expected = {c.pk: (c.state, c.operator, self.queue_ids[c.queue]) for c in self.model.chats.values()}
        assert stored == expected
        operators = {
            pk: (status, active_count, cap)
            for pk, status, active_count, cap in Operator.objects.values_list("pk", "status", "active_count", "cap")
        }
        modelled = {op.pk: (op.status, len(self.model.active(op.pk))) for op in self.model.operators.values()}
        assert {pk: (status, count) for pk, (status, count, _) in operators.items()} == modelled
        places = {place.conversation_id: place.position for place in queue_places(limit=1000)}
        assert places == self.model.positions()
        # What each waiting widget derives from its queue's one ``queue.moved`` event is the same place.
        derived: dict[int, int] = {}
        for queue_id in self.queue_ids.values():
            payload = queue_head(queue_id, limit=1000).as_payload()
            for pk, _ in payload["head"]:
                place = place_in_head(payload, pk)
                assert place is not None and place["queue_id"] == queue_id
                derived[pk] = place["position"]
        assert derived == self.model.positions()

        # The rules themselves, straight from the rows.
        queue_skill = {pk: slug for slug, pk in self.queue_ids.items()}
        for pk, (status, active_count, cap) in operators.items():
            real = sum(1 for _, state, operator_id, _ in chats if state == "active" and operator_id == pk)
            assert active_count == real, f"operator {pk}: active_count {active_count}, really {real}"
            assert real <= min(cap, SITE_CAP), f"operator {pk} holds {real} chats, limit {min(cap, SITE_CAP)}"
            if status == "online" and real < min(cap, SITE_CAP):
                skills = self.model.operators[pk].skills
                waiting = [c for c, state, _, queue in chats if state == "queued" and queue_skill[queue] in skills]
                assert not waiting, f"operator {pk} has a free slot while {waiting} wait"
        for pk, state, operator_id, _ in chats:
            if state != "closed":
                assert (operator_id is None) == (state == "queued"), f"conversation {pk} {state} with {operator_id}"


@pytest.mark.timeout(900)  # about a minute on an idle machine; a busy one must not turn it into a failure
def test_the_queue_behaves_like_its_model(queues: dict[str, Queue], reason: Reason) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Only crash durability of this test session's commits; what others see is unchanged.
            cursor.execute("SET synchronous_commit TO off")
    run_state_machine_as_test(
        QueueMachine,
        settings=settings(
            max_examples=int(os.environ.get("QUEUE_MODEL_EXAMPLES", "30")),
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
