"""Reads: queue positions and estimated waits. No writes here (access checks: workspace/selectors.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Avg, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum, Value, Window
from django.db.models.functions import Least, RowNumber
from django.utils import timezone

from chat.models import Conversation, ConversationState, Operator, OperatorStatus


def operators_with_free_slots() -> QuerySet[Operator]:
    """Online operators below their cap (the site-wide cap wins over a higher personal one)."""
    return Operator.objects.filter(
        status=OperatorStatus.ONLINE,
        active_count__lt=Least(F("cap"), Value(settings.SWITCHBOARD_MAX_CHATS)),
    )


@dataclass(frozen=True)
class QueuePlace:
    conversation_id: int
    queue_id: int
    position: int
    estimated_wait_seconds: int | None
    # Nobody with the queue's skill is online: no estimate, and the shopper is told so plainly.
    nobody_online: bool = False
    # Waiting past SWITCHBOARD_OFFER_MESSAGE_AFTER_SECONDS (or nobody online): offer to leave a message.
    offer_message: bool = False

    def as_payload(self) -> dict[str, object]:
        """What the shopper's widget is told (the ``queue.position`` event's payload)."""
        return {
            "queue_id": self.queue_id,
            "position": self.position,
            "estimated_wait_seconds": self.estimated_wait_seconds,
            "nobody_online": self.nobody_online,
            "offer_message": self.offer_message,
        }


def average_handle_seconds(queue_id: int) -> float:
    """Mean assigned -> closed time of the queue's most recent chats (the EWT's handle time)."""
    recent = (
        Conversation.objects.filter(queue_id=queue_id, state=ConversationState.CLOSED, assigned_at__isnull=False)
        .order_by("-closed_at")
        .values("pk")[: settings.SWITCHBOARD_EWT_SAMPLE]
    )
    handle = ExpressionWrapper(F("closed_at") - F("assigned_at"), output_field=DurationField())
    mean = Conversation.objects.filter(pk__in=recent).aggregate(mean=Avg(handle))["mean"]
    return mean.total_seconds() if mean else float(settings.SWITCHBOARD_DEFAULT_HANDLE_SECONDS)


def online_capacity(queue_id: int) -> int:
    """Chat slots of online operators who serve this queue: how many chats end per handle time."""
    total = (
        Operator.objects.filter(status=OperatorStatus.ONLINE, skills__queues__id=queue_id)
        .annotate(slots=Least(F("cap"), Value(settings.SWITCHBOARD_MAX_CHATS)))
        .aggregate(total=Sum("slots"))["total"]
    )
    return int(total or 0)


def estimated_wait_seconds(*, position: int, capacity: int, handle_seconds: float) -> int | None:
    """Comm100's EWT = (floor((N - 1) / X) + 1) x AHT, with X the online slots (None: nobody online)."""
    if capacity <= 0:
        return None
    return int(((position - 1) // capacity + 1) * handle_seconds)


def slot_release_seconds(queue_id: int, handle_seconds: float) -> list[float]:
    """When each chat slot of the online operators serving this queue frees, soonest first.

    A free slot frees now; a held one when its chat reaches the mean handle time (already past it:
    any moment). So the estimate follows the load: fresh chats push it out, old ones bring it in.
    """
    slots = dict(
        Operator.objects.filter(status=OperatorStatus.ONLINE, skills__queues__id=queue_id)
        .annotate(slots=Least(F("cap"), Value(settings.SWITCHBOARD_MAX_CHATS)))
        .values_list("pk", "slots")
    )
    held: dict[int, list[float]] = {pk: [] for pk in slots}
    at = timezone.now()
    for operator_id, assigned_at in Conversation.objects.filter(
        state=ConversationState.ACTIVE, operator_id__in=list(slots)
    ).values_list("operator_id", "assigned_at"):
        elapsed = (at - assigned_at).total_seconds() if assigned_at else 0.0
        held[operator_id].append(max(handle_seconds - elapsed, 0.0))
    releases: list[float] = []
    for operator_id, count in slots.items():
        mine = sorted(held[operator_id])[:count]
        releases.extend(mine + [0.0] * (count - len(mine)))
    return sorted(releases)


def estimated_wait_from_slots(
    *, position: int, releases: list[float], handle_seconds: float, slot_count: int | None = None
) -> int | None:
    """Position N waits for the N-th slot to free: round k = (N-1) // X of the X slots, each round
    one handle time, plus the time the (N-1) % X-th soonest slot still needs (None: nobody online).
    With every chat just taken this is Comm100's (floor((N-1)/X) + 1) x AHT. ``releases`` may be cut
    to the first N when ``slot_count`` says how many slots there are (what a queue event carries)."""
    slots = len(releases) if slot_count is None else slot_count
    if not slots:
        return None
    rounds, slot = divmod(position - 1, slots)
    return int(releases[slot] + rounds * handle_seconds)


def _place(
    pk: int, queue_id: int, position: int, queued_at: datetime | None, cache: dict[int, tuple[list[float], float]]
) -> QueuePlace:
    if queue_id not in cache:
        handle = average_handle_seconds(queue_id)
        cache[queue_id] = (slot_release_seconds(queue_id, handle), handle)
    releases, handle = cache[queue_id]
    wait = estimated_wait_from_slots(position=position, releases=releases, handle_seconds=handle)
    waited = (timezone.now() - queued_at).total_seconds() if queued_at else 0.0
    return QueuePlace(
        conversation_id=pk,
        queue_id=queue_id,
        position=position,
        estimated_wait_seconds=wait,
        nobody_online=not releases,
        offer_message=not releases or waited >= settings.SWITCHBOARD_OFFER_MESSAGE_AFTER_SECONDS,
    )


def queue_places(*, limit: int) -> list[QueuePlace]:
    """The first ``limit`` queued conversations of every queue with position (1 = next) and wait."""
    ranked = (
        Conversation.objects.filter(state=ConversationState.QUEUED)
        .annotate(position=Window(RowNumber(), partition_by=[F("queue_id")], order_by=[F("queued_at"), F("id")]))
        .filter(position__lte=limit)
        .values_list("pk", "queue_id", "position", "queued_at")
    )
    cache: dict[int, tuple[list[float], float]] = {}
    return [_place(pk, queue_id, position, queued_at, cache) for pk, queue_id, position, queued_at in ranked]


def queue_place(conversation_id: int) -> QueuePlace | None:
    """One queued conversation's position and estimated wait; None once it left the queue."""
    row = (
        Conversation.objects.filter(pk=conversation_id, state=ConversationState.QUEUED)
        .values("queue_id", "queued_at")
        .first()
    )
    if row is None:
        return None
    ahead = (
        Conversation.objects.filter(state=ConversationState.QUEUED, queue_id=row["queue_id"])
        .filter(Q(queued_at__lt=row["queued_at"]) | Q(queued_at=row["queued_at"], pk__lt=conversation_id))
        .count()
    )
    return _place(conversation_id, row["queue_id"], ahead + 1, row["queued_at"], {})


# How many shoppers at the head of a queue a queue event names (the rest ask when they look).
QUEUE_HEAD_LIMIT = 100


@dataclass(frozen=True)
class QueueHead:
    """A queue's head as one ``queue.moved`` event tells it to everyone waiting in that queue.

    Each widget finds its own chat in ``entries`` and derives its place (:func:`place_in_head`), so a
    move of the whole queue is one send per queue, not one per waiting chat. ``stamp`` orders events
    from several processes: a client keeps the newest it saw.
    """

    queue_id: int
    stamp: int
    entries: list[tuple[int, float]]  # (conversation id, queued_at as epoch seconds), oldest first
    releases: list[float]  # the soonest slot releases, as many as there are entries
    slot_count: int
    handle_seconds: float

    def as_payload(self) -> dict[str, Any]:
        return {
            "queue_id": self.queue_id,
            "stamp": self.stamp,
            "head": [[pk, queued_at] for pk, queued_at in self.entries],
            "releases": self.releases,
            "slot_count": self.slot_count,
            "handle_seconds": self.handle_seconds,
            "offer_after": settings.SWITCHBOARD_OFFER_MESSAGE_AFTER_SECONDS,
        }


def queue_head(queue_id: int, *, limit: int = QUEUE_HEAD_LIMIT) -> QueueHead:
    """The first ``limit`` queued chats of one queue (an index range, no ranking of the whole queue)
    and what their waits are computed from."""
    stamp = time.time_ns()
    rows = (
        Conversation.objects.filter(state=ConversationState.QUEUED, queue_id=queue_id)
        .order_by("queued_at", "id")
        .values_list("pk", "queued_at")[:limit]
    )
    entries = [(pk, queued_at.timestamp() if queued_at else stamp / 1e9) for pk, queued_at in rows]
    if not entries:
        return QueueHead(queue_id, stamp, [], [], 0, 0.0)
    handle = average_handle_seconds(queue_id)
    releases = slot_release_seconds(queue_id, handle)
    return QueueHead(queue_id, stamp, entries, releases[: len(entries)], len(releases), handle)


def place_in_head(payload: dict[str, Any], conversation_id: int, *, at: float | None = None) -> dict[str, Any] | None:
    """A chat's place (the ``queue.position`` payload) derived from a ``queue.moved`` payload, as
    :func:`queue_place` would compute it; None when the event does not name the chat."""
    found = next(((n, entry) for n, entry in enumerate(payload["head"], start=1) if entry[0] == conversation_id), None)
    if found is None:
        return None
    position, (_, queued_at) = found
    slot_count = int(payload["slot_count"])
    waited = (time.time() if at is None else at) - float(queued_at)
    return {
        "queue_id": payload["queue_id"],
        "position": position,
        "estimated_wait_seconds": estimated_wait_from_slots(
            position=position,
            releases=list(payload["releases"]),
            handle_seconds=float(payload["handle_seconds"]),
            slot_count=slot_count,
        ),
        "nobody_online": not slot_count,
        "offer_message": not slot_count or waited >= float(payload["offer_after"]),
    }
