"""Delivery of operator messages to the shopper's connector.

Connectors register a sender for their connector at start-up; ``chat`` never imports them. A sender
may serve only some conversations of its connector (``applies``): the widget emails replies to an
offline conversation, while a live widget chat needs no sender, since the shopper's browser reads
the message from the live stream and the database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import transaction

if TYPE_CHECKING:
    from chat.models import Conversation

Sender = Callable[[int], None]
Applies = Callable[["Conversation"], bool]

_senders: dict[str, tuple[Sender, Applies | None]] = {}


def register_sender(connector: str, enqueue: Sender, *, applies: Applies | None = None) -> None:
    """``enqueue(message_id)`` starts delivery (a Celery task) for messages of that connector,
    or only for those whose conversation ``applies(conversation)`` accepts."""
    _senders[connector] = (enqueue, applies)


def _sender_for(conversation: Conversation) -> Sender | None:
    entry = _senders.get(conversation.connector)
    if entry is None:
        return None
    enqueue, applies = entry
    return enqueue if applies is None or applies(conversation) else None


def needs_delivery(conversation: Conversation) -> bool:
    return _sender_for(conversation) is not None


def schedule_delivery(message_id: int) -> None:
    """Start delivery after the message commits; messages no sender takes count as sent at once."""
    transaction.on_commit(lambda: _dispatch(message_id), robust=True)


def _dispatch(message_id: int) -> None:
    from chat.actions.conversations import do_mark_delivery
    from chat.models import DeliveryState, Message

    message = Message.objects.select_related("conversation__contact").filter(pk=message_id).first()
    if message is None:
        return
    sender = _sender_for(message.conversation)
    if sender is None:
        do_mark_delivery(message_id=message_id, state=DeliveryState.SENT)
        return
    sender(message_id)
