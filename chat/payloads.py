"""Plain-dict shapes of models as clients see them (widget, workspace, JSON API, events)."""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.urls import reverse

from chat.files import SHOPPER_FILE_SALT, shows_inline
from chat.models import Attachment, Conversation, Message, Questionnaire, Rating


def message_payload(message: Message, *, for_shopper: bool = False) -> dict[str, Any]:
    """A message as JSON. Text is sent raw: clients render it as text, never as HTML."""
    data: dict[str, Any] = {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "author_kind": message.author_kind,
        "author_name": message.author.display_name if message.author_id and message.author else "",
        "text": message.text,
        "created_at": message.created_at.isoformat(),
        "edited": message.edited_at is not None,
        "attachments": [attachment_payload(a, for_shopper=for_shopper) for a in message.attachments.all()]
        if message.pk and _has_attachments(message)
        else [],
    }
    if not for_shopper:
        data.update(
            is_note=message.is_note,
            delivery_state=message.delivery_state,
            delivery_error=message.delivery_error,
        )
    return data


def attachment_payload(attachment: Attachment, *, for_shopper: bool = False) -> dict[str, Any]:
    """An attachment's link is the access-checked view, never a storage path (the shopper's: a signed
    link, as the widget has no session); ``inline`` says it may be shown as a picture (a raster
    image by its bytes)."""
    url = (
        reverse("shopper-file", args=[signing.dumps({"a": attachment.pk}, salt=SHOPPER_FILE_SALT)])
        if for_shopper
        else reverse("attachment", args=[attachment.pk])
    )
    return {
        "id": attachment.pk,
        "name": attachment.name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": url,
        "inline": shows_inline(attachment.detected_type),
    }


def _has_attachments(message: Message) -> bool:
    cache = getattr(message, "_prefetched_objects_cache", {})
    if "attachments" in cache:
        return bool(cache["attachments"])
    return getattr(message, "_known_attachments", True)


def conversation_payload(conversation: Conversation) -> dict[str, Any]:
    """A conversation's header as the workspace shows it."""
    contact = conversation.contact
    return {
        "id": conversation.pk,
        "connector": conversation.connector,
        "state": conversation.state,
        "queue": {"id": conversation.queue_id, "slug": conversation.queue.slug, "name": conversation.queue.name},
        "operator": (
            {"id": conversation.operator_id, "name": conversation.operator.display_name}
            if conversation.operator_id and conversation.operator
            else None
        ),
        "contact": {"id": contact.pk, "name": contact.name, "language": contact.language},
        "is_offline": conversation.is_offline,
        "created_at": conversation.created_at.isoformat(),
        "queued_at": conversation.queued_at.isoformat() if conversation.queued_at else None,
        "assigned_at": conversation.assigned_at.isoformat() if conversation.assigned_at else None,
        "closed_at": conversation.closed_at.isoformat() if conversation.closed_at else None,
        "reason_id": conversation.reason_id,
    }


def rating_payload(rating: Rating) -> dict[str, Any]:
    return {
        "conversation_id": rating.conversation_id,
        "stars": rating.stars,
        "comment": rating.comment,
        "operator_id": rating.operator_id,
        "flagged": rating.flagged,
        "created_at": rating.created_at.isoformat(),
        "commented_at": rating.commented_at.isoformat() if rating.commented_at else None,
        "reviewed_at": rating.reviewed_at.isoformat() if rating.reviewed_at else None,
    }


def questionnaire_payload(questionnaire: Questionnaire) -> dict[str, Any]:
    return {
        "conversation_id": questionnaire.conversation_id,
        "answers": questionnaire.answers,
        "photo_url": (
            reverse("questionnaire-photo", args=[questionnaire.conversation_id]) if questionnaire.photo else None
        ),
        "submitted_at": questionnaire.submitted_at.isoformat() if questionnaire.submitted_at else None,
    }
