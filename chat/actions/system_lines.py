"""Lines the system writes into a transcript when a chat changes hands, goes back to the queue or ends.

Both sides read them (the shopper in the widget, on Telegram or VK; the operators in the workspace),
so they are written once, in the shopper's language, and stored like any message: a reload, the next
operator and the transcript all show the same words. Callers hold the conversation's lock.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext

from chat import events
from chat.actions._common import now
from chat.actions.delivery import schedule_delivery
from chat.models import AuthorKind, Connector, Conversation, DeliveryState, Message
from chat.payloads import message_payload
from chat.texts import language_of

# Connectors whose shopper reads the line only if it is sent to them (the widget reads the stream).
_SENT_TO = (Connector.TELEGRAM, Connector.VK)


def _text(key: str, **values: str) -> str:
    """The line for ``key`` in the active language (the caller switched to the shopper's)."""
    texts = {
        "transferred_to_operator": gettext("%(source)s handed the chat over to %(target)s."),
        "transferred_to_queue": gettext(
            "%(source)s passed the chat to the %(queue)s queue. You keep your place: the next free operator "
            "will answer."
        ),
        "requeued_offline": gettext(
            "%(source)s is no longer available. You are back at the head of the queue: the next free operator "
            "will answer."
        ),
        "requeued_no_reply": gettext(
            "%(source)s could not answer in time. You are back at the head of the queue: the next free "
            "operator will answer."
        ),
        "closed_by_operator": gettext("%(source)s closed the chat."),
        "reopened": gettext("%(source)s reopened the chat."),
        "closed_by_shopper": gettext("The customer ended the chat."),
        "left_contact": gettext(
            "Thank you: we will answer at %(contact)s even if you leave this page. Your chat keeps its place "
            "in the queue."
        ),
        "closed_by_system": gettext("The chat was closed."),
        "closed_nobody_online": gettext(
            "The chat ended before an operator could answer: nobody who can answer it was online. Leave us a "
            "message with your email or phone and we will answer."
        ),
        "closed_unanswered": gettext(
            "The chat ended before an operator could answer: everyone was busy. Leave us a message with your "
            "email or phone and we will answer."
        ),
    }
    return texts[key] % values


def shopper_language(conversation: Conversation) -> str:
    language = conversation.language
    if not language:
        language = conversation.contact.language if conversation.contact_id else ""
    return language_of(language)


def post_system_line(
    conversation: Conversation, key: str, *, to_operator_id: int | None = None, **values: str
) -> Message:
    """Store the line and show it to the shopper and to ``to_operator_id`` (else the chat's operator,
    else the staff) after commit; on Telegram and VK it is sent like a reply."""
    with translation.override(shopper_language(conversation)):
        text = _text(key, **values)
    sent_to_shopper = conversation.connector in _SENT_TO
    message = Message.objects.create(
        conversation=conversation,
        connector=conversation.connector,
        author_kind=AuthorKind.SYSTEM,
        text=text,
        created_at=now(),
        delivery_state=DeliveryState.PENDING if sent_to_shopper else DeliveryState.NONE,
    )
    message._known_attachments = False  # type: ignore[attr-defined]
    if sent_to_shopper:
        schedule_delivery(message.pk)
    operator_id = to_operator_id if to_operator_id is not None else conversation.operator_id
    audience = events.operator_group(operator_id) if operator_id else events.STAFF
    events.emit("message.new", message_payload(message), audiences=[audience])
    events.emit_to_conversation(conversation.pk, "message.new", message_payload(message, for_shopper=True))
    return message
