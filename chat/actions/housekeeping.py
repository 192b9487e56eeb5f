"""Periodic clean-ups that change chat data: abandoning silent queued chats, pruning the event log.

The periodic tasks (``chat.tasks``, ``workspace.tasks``) only call these, on their schedule.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from chat.actions._common import now
from chat.actions.conversations import do_close
from chat.errors import ChatError
from chat.models import Conversation, ConversationState, Event


def do_close_silent_queued(*, silent_seconds: int) -> list[int]:
    """Close, as abandoned, queued chats whose shopper has said nothing for ``silent_seconds``.

    Silence counts from the shopper's last message, or from the queueing for a chat opened without
    one. Offline-form chats are left alone: nobody expects that shopper to wait.
    """
    cutoff = now() - timedelta(seconds=silent_seconds)
    stale = (
        Conversation.objects.filter(state=ConversationState.QUEUED, is_offline=False, queued_at__lte=cutoff)
        .exclude(last_shopper_message_at__gt=cutoff)
        .order_by("queued_at")
        .values_list("pk", flat=True)
    )
    closed = []
    for conversation_id in stale:
        try:
            do_close(conversation_id=conversation_id, by="system", only_if_queued=True)
        except ChatError:
            continue  # assigned or closed meanwhile: nothing to abandon
        closed.append(conversation_id)
    return closed


def do_prune_events() -> int:
    """Live events are for resuming clients; those past SWITCHBOARD_EVENT_RETENTION_HOURS help nobody."""
    cutoff = now() - timedelta(hours=settings.SWITCHBOARD_EVENT_RETENTION_HOURS)
    deleted, _ = Event.objects.filter(created_at__lt=cutoff).delete()
    return deleted
