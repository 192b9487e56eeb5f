"""Queue and assignment: oldest queued conversation first, to the least-loaded eligible operator.

The cap holds under any concurrency because an operator's slot is taken with one conditional
UPDATE (``active_count < cap``) while the conversation row is locked; never read-then-write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Least

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
from chat.selectors import operators_with_free_slots, queue_place, queue_places

# Queued shoppers nearest the head get their new position pushed live; the rest ask when they look.
POSITION_PUSH_LIMIT = 100


@dataclass(frozen=True)
class Assignment:
    conversation_id: int
    operator_id: int


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
    """Assign one conversation. None: nothing assignable; False: lost a race, try again."""
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
        _announce_assignment(conversation)
        return Assignment(conversation_id=conversation.pk, operator_id=operator_id)


def _announce_assignment(conversation: Conversation) -> None:
    assert conversation.operator is not None
    events.emit_all(
        [
            (
                "conversation.assigned",
                conversation_payload(conversation),
                [events.operator_group(conversation.operator.pk)],
            ),
            ("queue.left", {"conversation_id": conversation.pk}, [events.STAFF]),
        ]
    )
    events.emit_to_conversation(
        conversation.pk, "conversation.assigned", {"operator_name": conversation.operator.display_name}
    )


def do_assign_waiting(*, limit: int | None = None) -> list[Assignment]:
    """Fill every free slot from the queue, oldest first; called by every trigger after it commits."""
    assigned: list[Assignment] = []
    misses = 0
    while limit is None or len(assigned) < limit:
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
        publish_queue_positions()
    return assigned


def publish_queue_positions() -> None:
    """Tell the shoppers at the head of each queue their new position and estimated wait.

    Read-only: no transaction of its own (called inside one, the sends still wait for its commit).
    """
    events.emit_to_conversations(
        "queue.position",
        {place.conversation_id: place.as_payload() for place in queue_places(limit=POSITION_PUSH_LIMIT)},
    )


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
        events.emit_to_conversation(conversation_id, "conversation.queued", {"conversation_id": conversation_id})
        transaction.on_commit(_after_requeue, robust=True)
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


def _after_requeue() -> None:
    """A requeued chat goes before the others, so every waiting shopper's position changed."""
    if not do_assign_waiting():  # an assignment already told them
        publish_queue_positions()
