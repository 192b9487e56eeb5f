"""Delivery of operator messages to the shopper's connector.

Connectors register a sender for their connector at start-up; ``chat`` never imports them. The
widget needs none: the shopper's browser reads the message from the live stream and the database.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

Sender = Callable[[int], None]

_senders: dict[str, Sender] = {}


def register_sender(connector: str, enqueue: Sender) -> None:
    """``enqueue(message_id)`` starts delivery (a Celery task) for messages of that connector."""
    _senders[connector] = enqueue


def needs_delivery(connector: str) -> bool:
    return connector in _senders


def schedule_delivery(message_id: int) -> None:
    """Start delivery after the message commits; widget messages count as sent at once."""
    transaction.on_commit(lambda: _dispatch(message_id))


def _dispatch(message_id: int) -> None:
    from chat.actions.conversations import do_mark_delivery
    from chat.models import DeliveryState, Message

    connector = Message.objects.filter(pk=message_id).values_list("connector", flat=True).first()
    if connector is None:
        return
    sender = _senders.get(connector)
    if sender is None:
        do_mark_delivery(message_id=message_id, state=DeliveryState.SENT)
        return
    sender(message_id)
