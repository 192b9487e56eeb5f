"""Delivery of operator messages to the shopper's connector: start it after commit, record the outcome.

The connector's own sender (a Celery task, looked up in ``chat.registry``) does the sending and
reports back through :func:`do_mark_delivery`; a message no sender takes counts as sent at once.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from chat import events
from chat.errors import Forbidden, InvalidInput, NotFound, WrongState
from chat.models import DeliveryState, Message, Operator
from chat.registry import needs_delivery, sender_for

__all__ = ["do_mark_delivery", "do_retry_delivery", "needs_delivery", "schedule_delivery"]


def schedule_delivery(message_id: int) -> None:
    """Start delivery after the message commits; messages no sender takes count as sent at once."""
    transaction.on_commit(lambda: _dispatch(message_id), robust=True)


def _dispatch(message_id: int) -> None:
    message = Message.objects.select_related("conversation__contact").filter(pk=message_id).first()
    if message is None:
        return
    sender = sender_for(message.conversation)
    if sender is None:
        do_mark_delivery(message_id=message_id, state=DeliveryState.SENT)
        return
    sender(message_id)


def do_mark_delivery(
    *, message_id: int, state: str, external_id: str = "", error: str = "", attempt: bool = False
) -> Message:
    """Record the outcome of sending an operator's message to the shopper's connector."""
    if state not in (DeliveryState.PENDING, DeliveryState.SENT, DeliveryState.FAILED):
        raise InvalidInput("Unknown delivery state.")
    with transaction.atomic():
        try:
            message = (
                Message.objects.select_for_update(of=("self",))
                .select_related("conversation", "author")
                .get(pk=message_id)
            )
        except Message.DoesNotExist as exc:
            raise NotFound("No such message.") from exc
        message.delivery_state = state
        message.delivery_external_id = external_id or message.delivery_external_id
        message.delivery_error = error[:500]
        fields = ["delivery_state", "delivery_external_id", "delivery_error"]
        if attempt:
            Message.objects.filter(pk=message_id).update(delivery_attempts=F("delivery_attempts") + 1)
        message.save(update_fields=fields)
        conversation = message.conversation
        audiences = [events.operator_group(conversation.operator_id)] if conversation.operator_id else [events.STAFF]
        events.emit(
            "message.delivery",
            {
                "id": message.pk,
                "conversation_id": conversation.pk,
                "delivery_state": state,
                "delivery_error": message.delivery_error,
            },
            audiences=audiences,
        )
        return message


def do_retry_delivery(*, message_id: int, operator_id: int) -> Message:
    """An operator asks to send a failed message again."""
    message = Message.objects.select_related("conversation").filter(pk=message_id).first()
    if message is None:
        raise NotFound("No such message.")
    operator = Operator.objects.filter(pk=operator_id).first()
    if operator is None:
        raise NotFound("No such operator.")
    if message.conversation.operator_id != operator.pk and not operator.is_manager:
        raise Forbidden()
    if message.delivery_state != DeliveryState.FAILED:
        raise WrongState("Only a failed message can be sent again.")
    with transaction.atomic():
        message = do_mark_delivery(message_id=message_id, state=DeliveryState.PENDING)
        schedule_delivery(message.pk)
    return message
