"""Operator status and presence: online takes chats, away keeps them, offline gives them back."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F

from chat import events
from chat.actions._common import now, retry_on_conflict
from chat.actions.assignment import do_assign_waiting, enqueue
from chat.actions.system_lines import post_system_line
from chat.errors import InvalidInput, NotFound
from chat.models import Conversation, ConversationState, Operator, OperatorStatus, OperatorStatusChange


@retry_on_conflict
def _set_status(operator_id: int, status: str) -> tuple[bool, list[int]]:
    if status not in OperatorStatus.values:
        raise InvalidInput(f"Unknown status {status!r}; use online, away or offline.")
    with transaction.atomic():
        # Chats are locked before the operator row, the order assignment and close use too; the
        # second look, under the operator's lock, catches a chat assigned in between.
        active = Conversation.objects.select_for_update().filter(
            operator_id=operator_id, state=ConversationState.ACTIVE
        )
        list(active.order_by("id"))
        try:
            operator = Operator.objects.select_for_update().get(pk=operator_id)
        except Operator.DoesNotExist as exc:
            raise NotFound("No such operator.") from exc
        chats = list(active.order_by("id")) if status == OperatorStatus.OFFLINE else []
        if operator.status == status:
            return False, []
        at = now()
        operator.status = status
        operator.status_changed_at = at
        update_fields = ["status", "status_changed_at"]
        requeued: list[int] = []
        if status == OperatorStatus.OFFLINE:
            for conversation in chats:
                # Back to the head of the queue: the original queue time is kept.
                # The line first: the shopper reads why before the next operator's name.
                post_system_line(conversation, "requeued_offline", source=operator.display_name)
                enqueue(conversation, queued_at_kept=True)
                requeued.append(conversation.pk)
            if requeued:
                # Every tab of theirs drops these chats at once, without a reload.
                mine = events.operator_group(operator.pk)
                events.emit_all(
                    [("conversation.removed", {"conversation_id": pk, "why": "requeued"}, [mine]) for pk in requeued]
                )
            operator.active_count = 0
            update_fields.append("active_count")
        operator.save(update_fields=update_fields)
        OperatorStatusChange.objects.create(operator=operator, status=status, at=at)
        events.emit(
            "operator.status",
            {
                "operator_id": operator.pk,
                "name": operator.display_name,
                "status": status,
                "active_count": operator.active_count,
            },
            audiences=[events.STAFF, events.operator_group(operator.pk)],
        )
        return True, requeued


def do_set_operator_status(*, operator_id: int, status: str) -> list[int]:
    """Change an operator's status; returns the conversations put back in the queue."""
    changed, requeued = _set_status(operator_id, status)
    if changed and status == OperatorStatus.ONLINE:
        do_assign_waiting()
    return requeued


def do_operator_connected(*, operator_id: int) -> None:
    """A workspace tab connected: the operator is present again."""
    Operator.objects.filter(pk=operator_id).update(connections=F("connections") + 1, disconnected_at=None)


def do_operator_disconnected(*, operator_id: int) -> None:
    """A workspace tab went away; when the last one has been gone past the grace period, offline."""
    with transaction.atomic():
        Operator.objects.filter(pk=operator_id, connections__gt=0).update(connections=F("connections") - 1)
        Operator.objects.filter(pk=operator_id, connections=0).update(disconnected_at=now())


def do_sweep_disconnected_operators() -> list[int]:
    """Set offline every operator whose workspace has been gone longer than the grace period."""
    cutoff = now() - timedelta(seconds=settings.SWITCHBOARD_OFFLINE_GRACE_SECONDS)
    gone = list(
        Operator.objects.filter(connections=0, disconnected_at__lte=cutoff)
        .exclude(status=OperatorStatus.OFFLINE)
        .values_list("pk", flat=True)
    )
    for operator_id in gone:
        do_set_operator_status(operator_id=operator_id, status=OperatorStatus.OFFLINE)
    return gone
