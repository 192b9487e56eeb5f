"""The visitor's context reported by the widget: stored with the conversation, shown live to its operator."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from chat import events
from chat.actions._common import now, retry_on_conflict
from chat.errors import InvalidInput, NotFound
from chat.models import Conversation, ConversationState, Identity
from chat.visitor_context import ContextError, clean_report, merged

OPEN_STATES = (ConversationState.QUEUED, ConversationState.ACTIVE)


def context_audiences(conversation: Conversation) -> list[str]:
    """Whoever sees the conversation's messages live sees its context too."""
    return [events.operator_group(conversation.operator_id)] if conversation.operator_id else [events.STAFF]


@retry_on_conflict
def do_report_visitor_context(
    *, connector: str, sender_id: str, conversation_id: int, report: dict[str, Any]
) -> dict[str, Any]:
    """Apply one report (page, referrer, language, device, cart) to the shopper's open conversation.

    A report that changes nothing is not written, so a widget may report on every page view; the
    operator gets ``conversation.context`` after a change commits.
    """
    try:
        cleaned = clean_report(report)
    except ContextError as exc:
        raise InvalidInput(str(exc)) from exc
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update()
            .filter(pk=conversation_id, connector=connector, state__in=OPEN_STATES)
            .first()
        )
        senders = Identity.objects.filter(connector=connector, external_id=sender_id)
        sender = senders.values("contact_id").first()
        if conversation is None or sender is None or conversation.contact_id != sender["contact_id"]:
            raise NotFound("There is no open conversation of yours to attach this to.")
        at = now()
        context = merged(conversation.visitor_context, cleaned, at)
        unchanged = {k: v for k, v in context.items() if k != "updated_at"} == {
            k: v for k, v in conversation.visitor_context.items() if k != "updated_at"
        }
        if unchanged:
            return conversation.visitor_context
        conversation.visitor_context = context
        conversation.save(update_fields=["visitor_context"])
        events.emit(
            "conversation.context",
            {"conversation_id": conversation.pk, "visitor_context": context},
            audiences=context_audiences(conversation),
        )
    return context
