"""Reads for the widget: a visitor sees only conversations behind its own widget identity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q

from chat.errors import Forbidden
from chat.models import Connector, Conversation, ConversationState, Message, Operator, OperatorStatus, Queue
from chat.payloads import message_payload
from chat.selectors import queue_place

HISTORY_LIMIT = 200
OPEN_STATES = (ConversationState.QUEUED, ConversationState.ACTIVE)
NOT_QUEUED: dict[str, Any] = {
    "queue_id": None,
    "position": None,
    "estimated_wait_seconds": None,
    "nobody_online": False,
    "offer_message": False,
}


def visitor_conversations(visitor_id: str) -> Any:
    """Widget conversations of the contact behind this visitor's widget identity."""
    return Conversation.objects.filter(
        connector=Connector.WIDGET,
        contact__identities__connector=Connector.WIDGET,
        contact__identities__external_id=visitor_id,
    )


def access_conversation_for_visitor(*, visitor_id: str, conversation_id: object) -> Conversation:
    """The visitor's own conversation, or Forbidden (the same answer whether it exists or not)."""
    if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
        raise Forbidden("This is not your conversation.")
    conversation = visitor_conversations(visitor_id).filter(pk=conversation_id).first()
    if conversation is None:
        raise Forbidden("This is not your conversation.")
    return conversation


def current_conversation_id(visitor_id: str) -> int | None:
    """The conversation the widget shows: the newest open one, else the newest one, else none."""
    mine = visitor_conversations(visitor_id)
    open_id = mine.filter(state__in=OPEN_STATES).order_by("-id").values_list("pk", flat=True).first()
    if open_id is not None:
        return open_id
    return mine.order_by("-id").values_list("pk", flat=True).first()


def conversation_operator_id(conversation_id: int) -> int | None:
    return Conversation.objects.filter(pk=conversation_id).values_list("operator_id", flat=True).first()


def queue_position(conversation_id: int) -> dict[str, Any]:
    """The ``queue.position`` frame: position None once the chat left the queue."""
    place = queue_place(conversation_id)
    return {
        "type": "queue.position",
        "conversation_id": conversation_id,
        **(place.as_payload() if place else NOT_QUEUED),
    }


def messages_to_catch_up(*, conversation_id: int, after_id: int, since: datetime) -> list[dict[str, Any]]:
    """The shopper's copies of the conversation's messages after ``after_id`` or stored since
    ``since`` (notes never), oldest first."""
    rows = (
        Message.objects.filter(conversation_id=conversation_id, is_note=False)
        .filter(Q(pk__gt=after_id) | Q(created_at__gte=since))
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("id")[:HISTORY_LIMIT]
    )
    return [message_payload(message, for_shopper=True) for message in rows]


def widget_state(*, conversation_id: int | None, last_id: int) -> dict[str, Any]:
    """The ``state`` frame: the conversation's header and the messages after ``last_id``, oldest first."""
    if conversation_id is None:
        return {
            "type": "state",
            "conversation_id": None,
            "state": None,
            "operator_name": "",
            "queue_id": None,
            "queue_position": None,
            "estimated_wait_seconds": None,
            "nobody_online": False,
            "offer_message": False,
            "unanswered": False,
            "is_offline": False,
            "messages": [],
        }
    conversation = Conversation.objects.select_related("operator").get(pk=conversation_id)
    newest = (
        Message.objects.filter(conversation_id=conversation_id, is_note=False, pk__gt=last_id)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("-id")[:HISTORY_LIMIT]
    )
    messages = [message_payload(message, for_shopper=True) for message in reversed(list(newest))]
    place = queue_place(conversation_id) if conversation.state == ConversationState.QUEUED else None
    return {
        "type": "state",
        "conversation_id": conversation.pk,
        "state": conversation.state,
        "operator_name": conversation.operator.display_name
        if conversation.state == ConversationState.ACTIVE and conversation.operator
        else "",
        "queue_id": place.queue_id if place else None,
        "queue_position": place.position if place else None,
        "estimated_wait_seconds": place.estimated_wait_seconds if place else None,
        "nobody_online": place.nobody_online if place else False,
        "offer_message": place.offer_message if place else False,
        # Closed before anyone answered (not by the shopper): the widget offers to leave a message.
        "unanswered": conversation.state == ConversationState.CLOSED
        and conversation.last_operator_reply_at is None
        and conversation.closed_by_kind != "shopper",
        "is_offline": conversation.is_offline,
        "messages": messages,
    }


def anyone_online(queue_slug: str) -> bool:
    """Is an online operator serving this queue (the widget shows the offline form when not)?"""
    queue = Queue.objects.filter(slug=queue_slug).values_list("skill_id", flat=True).first()
    if queue is None:
        return False
    return Operator.objects.filter(status=OperatorStatus.ONLINE, skills__id=queue).exists()
