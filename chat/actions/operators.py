"""Operator status and presence: online takes chats, away keeps them, offline gives them back."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, QuerySet

from chat import events
from chat.actions._common import now, retry_on_conflict
from chat.actions.assignment import do_assign_waiting, enqueue
from chat.actions.system_lines import post_system_line
from chat.errors import InvalidInput, NotFound
from chat.models import (
    Conversation,
    ConversationState,
    Operator,
    OperatorConnection,
    OperatorStatus,
    OperatorStatusChange,
)


@retry_on_conflict
def _set_status(operator_id: int, status: str, *, unless_connected: bool = False) -> tuple[bool, list[int]]:
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
        if unless_connected and OperatorConnection.objects.filter(operator_id=operator_id).exists():
            return False, []  # a tab came back while the sweep looked
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


def do_operator_connected(*, operator_id: int, connection_key: str) -> None:
    """A workspace tab connected: one live connection row, kept fresh by :func:`do_operator_heartbeat`."""
    at = now()
    with transaction.atomic():
        OperatorConnection.objects.create(operator_id=operator_id, key=connection_key, connected_at=at, seen_at=at)
        Operator.objects.filter(pk=operator_id).update(disconnected_at=None)


def do_operator_heartbeat(*, operator_id: int, connection_key: str) -> None:
    """The connection is still alive. A row the sweep took while this process stalled comes back."""
    at = now()
    if OperatorConnection.objects.filter(key=connection_key).update(seen_at=at):
        return
    with transaction.atomic():
        OperatorConnection.objects.get_or_create(
            key=connection_key, defaults={"operator_id": operator_id, "connected_at": at, "seen_at": at}
        )
        Operator.objects.filter(pk=operator_id).update(disconnected_at=None)


def _without_live_connections(operators: QuerySet[Operator]) -> QuerySet[Operator]:
    return operators.filter(~Exists(OperatorConnection.objects.filter(operator_id=OuterRef("pk"))))


def do_operator_disconnected(*, operator_id: int, connection_key: str) -> None:
    """A workspace tab went away; when the last one has been gone past the grace period, offline."""
    with transaction.atomic():
        OperatorConnection.objects.filter(key=connection_key).delete()
        _without_live_connections(Operator.objects.filter(pk=operator_id)).update(disconnected_at=now())


def _expire_dead_connections() -> None:
    """Remove connections whose heartbeat stopped (a crash, a kill -9, a hung process).

    The operator is taken as gone since the dead connection was last seen, so the grace period
    counts from the last sign of life, not from the sweep.
    """
    cutoff = now() - timedelta(seconds=settings.SWITCHBOARD_PRESENCE_EXPIRY_SECONDS)
    with transaction.atomic():
        dead = OperatorConnection.objects.filter(seen_at__lt=cutoff)
        last_seen = dict(dead.values("operator_id").annotate(last=Max("seen_at")).values_list("operator_id", "last"))
        if not last_seen:
            return
        dead.delete()
        for operator_id, seen_at in last_seen.items():
            _without_live_connections(Operator.objects.filter(pk=operator_id)).update(disconnected_at=seen_at)


def do_sweep_disconnected_operators() -> list[int]:
    """Set offline every operator whose workspace has been gone longer than the grace period."""
    _expire_dead_connections()
    cutoff = now() - timedelta(seconds=settings.SWITCHBOARD_OFFLINE_GRACE_SECONDS)
    gone = list(
        _without_live_connections(Operator.objects.filter(disconnected_at__lte=cutoff))
        .exclude(status=OperatorStatus.OFFLINE)
        .values_list("pk", flat=True)
    )
    swept = []
    for operator_id in gone:
        changed, _ = _set_status(operator_id, OperatorStatus.OFFLINE, unless_connected=True)
        if changed:
            swept.append(operator_id)
    return swept
