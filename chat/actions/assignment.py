"""Queue and assignment: oldest queued conversation first, to the least-loaded eligible operator.

The cap holds under any concurrency. One chat (an arrival) takes its operator's slot with one
conditional UPDATE (``active_count < cap``) while the conversation row is locked. A batch (a close,
an operator coming online, a requeue, the beat) locks the free operators it may use and the queued
chats it seats (both ``SKIP LOCKED``: batches never wait for each other), decides in memory from the
locked counts, and writes with one UPDATE that again requires every count to stay within its cap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import Case, DateTimeField, F, IntegerField, Value, When
from django.db.models.functions import Coalesce, Least

from chat import events
from chat.actions._common import now, retry_on_conflict
from chat.actions.metrics_days import mark_changed
from chat.models import (
    Conversation,
    ConversationState,
    ConversationStep,
    Operator,
    OperatorStatus,
    Queue,
    StepKind,
)
from chat.payloads import conversation_payload
from chat.selectors import QUEUE_HEAD_LIMIT, operators_with_free_slots, queue_head, queue_place


@dataclass(frozen=True)
class Assignment:
    conversation_id: int
    operator_id: int
    queue_id: int


def take_slot(operator_id: int) -> bool:
    """Atomically give an operator one more chat if they are online and below their cap."""
    return bool(
        Operator.objects.filter(
            pk=operator_id,
            status=OperatorStatus.ONLINE,
            active_count__lt=Least(F("cap"), Value(settings.SWITCHBOARD_MAX_CHATS)),
        ).update(active_count=F("active_count") + 1, last_assigned_at=now())
    )


def release_slot(operator_id: int) -> None:
    Operator.objects.filter(pk=operator_id, active_count__gt=0).update(active_count=F("active_count") - 1)


@retry_on_conflict
def _assign_next() -> Assignment | Literal[False] | None:
    """Assign one conversation (an arrival's trigger). None: nothing assignable; False: lost a race."""
    with transaction.atomic():
        free = operators_with_free_slots()
        served_queues = Queue.objects.filter(skill__operators__in=free.values("pk")).values("pk")
        conversation = (
            Conversation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("contact", "queue")
            .filter(state=ConversationState.QUEUED, queue_id__in=served_queues)
            .order_by("queued_at", "id")
            .first()
        )
        if conversation is None:
            return None
        order: list[Any] = ["active_count", F("last_assigned_at").asc(nulls_first=True), "id"]
        if conversation.passed_over_operator_id:
            # Back after its operator sent no first reply in time: anyone else first, them last.
            order.insert(0, Case(When(pk=conversation.passed_over_operator_id, then=1), default=0))
        candidate = (
            free.filter(skills__queues__id=conversation.queue_id)
            .order_by(*order)
            .values_list("pk", "display_name")
            .first()
        )
        if candidate is None or not take_slot(candidate[0]):
            return False
        at = now()
        operator_id, operator_name = candidate
        Conversation.objects.filter(pk=conversation.pk).update(
            state=ConversationState.ACTIVE,
            operator_id=operator_id,
            assigned_at=F("assigned_at") if conversation.assigned_at else at,
        )
        ConversationStep.objects.create(
            conversation=conversation, kind=StepKind.ASSIGNED, at=at, operator_id=operator_id
        )
        mark_changed(conversation)
        # The row as the UPDATE left it, without reading it back.
        conversation.state = ConversationState.ACTIVE
        conversation.assigned_at = conversation.assigned_at or at
        conversation.operator = Operator.from_db(None, ["id", "display_name"], [operator_id, operator_name])
        _announce_assignments([conversation])
        return Assignment(conversation_id=conversation.pk, operator_id=operator_id, queue_id=conversation.queue_id)


@dataclass
class _FreeOperator:
    """An online operator below their cap, as a batch sees them while it fills their slots."""

    pk: int
    name: str
    load: int
    slots: int
    last_assigned_at: datetime | None
    queue_ids: set[int] = field(default_factory=set)
    taken: int = 0

    def order_key(self, passed_over_id: int | None) -> tuple[int, int, int, float, int]:
        """Least loaded first, then idle longest (never assigned: first), then the older account;
        the operator a chat was taken from for want of a first reply comes after everyone else."""
        idle = self.last_assigned_at.timestamp() if self.last_assigned_at else 0.0
        return (int(self.pk == passed_over_id), self.load, int(self.last_assigned_at is not None), idle, self.pk)


class _SlotsMoved(OperationalError):
    """An operator's count changed under a batch that held their row lock: roll back, try again.

    (It cannot happen while the lock holds; the check makes the cap independent of that reasoning.)"""

    def __init__(self) -> None:
        super().__init__("could not serialize the batch: an operator's slots moved")


def _lock_free_operators() -> dict[int, _FreeOperator]:
    """Every operator with a free slot and the queues they serve, locked (skipping rows another
    batch holds): nobody else moves their counts until this transaction ends, which keeps the cap,
    and a batch that holds operators seats every chat it locks, which keeps the queue's order."""
    found: dict[int, _FreeOperator] = {}
    rows = (
        operators_with_free_slots()
        .select_for_update(skip_locked=True, of=("self",))
        .filter(skills__queues__isnull=False)
        .annotate(slots=Least(F("cap"), Value(settings.SWITCHBOARD_MAX_CHATS)))
        .order_by("pk")
        .values_list("pk", "display_name", "active_count", "slots", "last_assigned_at", "skills__queues__id")
    )
    for pk, name, load, slots, last, queue_id in rows:
        found.setdefault(pk, _FreeOperator(pk, name, load, slots, last)).queue_ids.add(queue_id)
    return found


def _queued_heads(room: dict[int, int]) -> list[Conversation]:
    """The oldest queued chats of each queue, as many as its operators have free slots, locked
    (skipping rows another transaction holds), oldest first across queues.

    No chat further back can be seated now: each queue fills its free slots oldest first."""
    heads: list[Conversation] = []
    for queue_id, count in sorted(room.items()):
        heads.extend(
            Conversation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("contact", "queue")
            .filter(state=ConversationState.QUEUED, queue_id=queue_id)
            .order_by("queued_at", "id")[:count]
        )
    heads.sort(key=lambda conversation: (conversation.queued_at or conversation.created_at, conversation.pk))
    return heads


@retry_on_conflict
def _assign_batch() -> list[Assignment]:
    """Seat as many queued chats as there are free slots in one transaction, oldest first, each to
    the least-loaded operator with the skill: the same choices as one chat at a time, in a fixed
    number of statements (the operators locked in one read, one UPDATE each for chats and operators)."""
    with transaction.atomic():
        operators = _lock_free_operators()
        room: dict[int, int] = {}
        for operator in operators.values():
            for queue_id in operator.queue_ids:
                room[queue_id] = room.get(queue_id, 0) + operator.slots - operator.load
        heads = _queued_heads(room)
        if not heads:
            return []
        at = now()
        seated: list[tuple[Conversation, _FreeOperator]] = []
        for conversation in heads:
            eligible = [o for o in operators.values() if conversation.queue_id in o.queue_ids and o.load < o.slots]
            if not eligible:
                continue
            operator = min(eligible, key=lambda o: o.order_key(conversation.passed_over_operator_id))
            operator.load += 1
            operator.taken += 1
            # Distinct stamps in seating order, so "idle longest" next time ranks them as if one by one.
            operator.last_assigned_at = at + timedelta(microseconds=len(seated))
            seated.append((conversation, operator))
        if not seated:
            return []
        _seat(seated, at)
        return [Assignment(conversation_id=c.pk, operator_id=o.pk, queue_id=c.queue_id) for c, o in seated]


def _seat(seated: list[tuple[Conversation, _FreeOperator]], at: datetime) -> None:
    """The writes of a batch: the chats, the operators' counts, the steps and the events."""
    operators = {operator.pk: operator for _, operator in seated}
    taken = Case(*[When(pk=pk, then=Value(o.taken)) for pk, o in operators.items()], output_field=IntegerField())
    stamps = Case(
        *[When(pk=pk, then=Value(o.last_assigned_at)) for pk, o in operators.items()], output_field=DateTimeField()
    )
    updated = (
        Operator.objects.filter(pk__in=list(operators), status=OperatorStatus.ONLINE)
        .filter(active_count__lte=Least(F("cap"), Value(settings.SWITCHBOARD_MAX_CHATS)) - taken)
        .update(active_count=F("active_count") + taken, last_assigned_at=stamps)
    )
    if updated != len(operators):
        raise _SlotsMoved()
    Conversation.objects.filter(pk__in=[c.pk for c, _ in seated]).update(
        state=ConversationState.ACTIVE,
        operator_id=Case(*[When(pk=c.pk, then=Value(o.pk)) for c, o in seated], output_field=IntegerField()),
        assigned_at=Coalesce(F("assigned_at"), Value(at, output_field=DateTimeField())),
    )
    ConversationStep.objects.bulk_create(
        [ConversationStep(conversation=c, kind=StepKind.ASSIGNED, at=at, operator_id=o.pk) for c, o in seated]
    )
    for conversation, operator in seated:
        mark_changed(conversation)
        # The row as the UPDATE left it, without reading it back.
        conversation.state = ConversationState.ACTIVE
        conversation.assigned_at = conversation.assigned_at or at
        conversation.operator = Operator.from_db(None, ["id", "display_name"], [operator.pk, operator.name])
    _announce_assignments([c for c, _ in seated])


def _announce_assignments(conversations: list[Conversation]) -> None:
    """Each chat to its operator's tabs, off the staff's queue list, and its shopper told who answers."""
    items: list[tuple[str, dict[str, Any], list[str]]] = []
    for conversation in conversations:
        assert conversation.operator is not None
        items.append(
            (
                "conversation.assigned",
                conversation_payload(conversation),
                [events.operator_group(conversation.operator.pk)],
            )
        )
        items.append(("queue.left", {"conversation_id": conversation.pk}, [events.STAFF]))
    events.emit_all(items)
    events.emit_to_conversations(
        "conversation.assigned",
        {c.pk: {"operator_name": c.operator.display_name} for c in conversations if c.operator is not None},
    )


def do_assign_waiting(*, limit: int | None = None) -> list[Assignment]:
    """Fill every free slot from the queue, oldest first; called by every trigger after it commits.

    ``limit=1`` is an arrival's trigger (one new chat frees no slot): the one-chat path, cheaper than
    a batch's read of every free operator. Everything else seats in one batch."""
    assigned: list[Assignment] = []
    if limit is None:
        assigned = _assign_batch()
    else:
        misses = 0
        while len(assigned) < limit:
            result = _assign_next()
            if result is None:
                break
            if result is False:
                misses += 1
                if misses > 20:
                    break
                continue
            assigned.append(result)
    if assigned:
        publish_queue_positions({a.queue_id for a in assigned})
    return assigned


def publish_queue_positions(queue_ids: Iterable[int] | None = None) -> None:
    """Tell everyone waiting in these queues (default: every queue) that their queue moved: one
    ``queue.moved`` event per queue, naming its head; each widget derives its own place from it.

    Read-only: no transaction of its own (called inside one, the sends still wait for its commit).
    """
    if queue_ids is None:
        queue_ids = Queue.objects.values_list("pk", flat=True)
    for queue_id in sorted(queue_ids):
        head = queue_head(queue_id, limit=QUEUE_HEAD_LIMIT)
        if head.entries:
            events.emit_ephemeral("queue.moved", head.as_payload(), groups=[events.queue_group(queue_id)])


def enqueue(conversation: Conversation, *, queued_at_kept: bool = False, note: str = "") -> None:
    """Put a conversation (locked by the caller) in its queue and tell the staff; assign after commit."""
    at = now()
    if not queued_at_kept or conversation.queued_at is None:
        conversation.queued_at = at
    conversation.state = ConversationState.QUEUED
    conversation.operator = None
    conversation.save(update_fields=["state", "operator", "queued_at"])
    mark_changed(conversation)
    ConversationStep.objects.create(
        conversation=conversation,
        kind=StepKind.REQUEUED if queued_at_kept else StepKind.QUEUED,
        at=at,
        queue_id=conversation.queue_id,
        note=note,
    )
    conversation_with_refs = Conversation.objects.select_related("contact", "queue").get(pk=conversation.pk)
    events.emit("queue.joined", conversation_payload(conversation_with_refs), audiences=[events.STAFF])
    conversation_id = conversation.pk
    if queued_at_kept:
        # Back at the head: the shopper's header says so now, and everyone behind moves down one.
        events.emit_to_conversation(
            conversation_id,
            "conversation.queued",
            {"conversation_id": conversation_id, "queue_id": conversation.queue_id},
        )
        queue_id = conversation.queue_id
        transaction.on_commit(lambda: _after_requeue(queue_id), robust=True)
    else:
        transaction.on_commit(lambda: _after_enqueue(conversation_id), robust=True)


def enqueue_new(conversation: Conversation) -> None:
    """A conversation the caller just created queued, with its contact and queue: its created and
    queued steps in one INSERT, the staff's event, and assignment after commit."""
    assert conversation.queued_at is not None
    ConversationStep.objects.bulk_create(
        [
            ConversationStep(
                conversation=conversation, kind=StepKind.CREATED, at=conversation.created_at, queue=conversation.queue
            ),
            ConversationStep(
                conversation=conversation, kind=StepKind.QUEUED, at=conversation.queued_at, queue=conversation.queue
            ),
        ]
    )
    events.emit("queue.joined", conversation_payload(conversation), audiences=[events.STAFF])
    conversation_id = conversation.pk
    transaction.on_commit(lambda: _after_enqueue(conversation_id), robust=True)


def _after_enqueue(conversation_id: int) -> None:
    """One arrival frees no slot, so it can start at most one assignment: stop after it.

    (Probing the queue again would cost a transaction per arrival; anything a lost trigger left
    assignable is picked up by the next close, status change or the beat's safety net.)
    """
    assigned = do_assign_waiting(limit=1)
    if any(a.conversation_id == conversation_id for a in assigned):
        return
    place = queue_place(conversation_id)
    if place is not None:
        events.emit_to_conversation(
            conversation_id,
            "queue.position",
            place.as_payload(),
        )


def _after_requeue(queue_id: int) -> None:
    """A requeued chat goes before the others, so every place behind it in its queue changed."""
    if not any(a.queue_id == queue_id for a in do_assign_waiting()):  # an assignment already told them
        publish_queue_positions([queue_id])
