"""A contact's personal data as one JSON document, and the hooks other apps use to erase their copies.

Exports and erasures themselves are actions (``chat.actions.privacy``): they write the audit record.
Connectors keep raw platform payloads (names, texts) outside ``chat``; they register an eraser here,
so ``chat`` erases every copy without importing them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chat.models import Attachment, Contact, ContactNote, Conversation, Identity, Message, Questionnaire, Rating


@dataclass(frozen=True)
class ErasureScope:
    """Whose data goes: identities as ``(connector, external_id)`` before they were anonymised."""

    identities: Sequence[tuple[str, str]]
    conversation_ids: Sequence[int]
    # The erased contacts themselves (the person's whole family of merged contacts).
    contact_ids: Sequence[int] = ()


ContactEraser = Callable[[ErasureScope], int]
RetentionSweeper = Callable[[datetime], int]
ContactExporter = Callable[[Sequence[int]], Any]
_contact_erasers: dict[str, ContactEraser] = {}
_retention_sweepers: dict[str, RetentionSweeper] = {}
_contact_exporters: dict[str, ContactExporter] = {}


def register_contact_eraser(name: str, eraser: ContactEraser) -> None:
    """``eraser(scope)`` deletes what its app holds about those identities; returns how many rows."""
    _contact_erasers[name] = eraser


def register_retention_sweeper(name: str, sweeper: RetentionSweeper) -> None:
    """``sweeper(cutoff)`` deletes what its app received before ``cutoff``; returns how many rows."""
    _retention_sweepers[name] = sweeper


def register_contact_exporter(name: str, exporter: ContactExporter) -> None:
    """``exporter(contact_ids)`` returns what its app holds about that person, as JSON; it goes in the
    export under ``name``."""
    _contact_exporters[name] = exporter


def run_contact_erasers(scope: ErasureScope) -> dict[str, int]:
    return {name: eraser(scope) for name, eraser in _contact_erasers.items()}


def run_retention_sweepers(cutoff: datetime) -> dict[str, int]:
    return {name: sweeper(cutoff) for name, sweeper in _retention_sweepers.items()}


def contact_family(contact: Contact) -> list[int]:
    """The contact and every contact merged into it: one person's data."""
    return [contact.pk, *Contact.objects.filter(merged_into=contact).values_list("pk", flat=True)]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _message(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "author_kind": message.author_kind,
        "author_name": message.author.display_name if message.author else "",
        "text": message.text,
        "is_note": message.is_note,
        "created_at": _iso(message.created_at),
        "edited_at": _iso(message.edited_at),
        "attachments": [_attachment(a) for a in message.attachments.all()],
    }


def _attachment(attachment: Attachment) -> dict[str, Any]:
    return {"name": attachment.name, "content_type": attachment.content_type, "size": attachment.size}


def _rating(rating: Rating | None) -> dict[str, Any] | None:
    if rating is None:
        return None
    return {"stars": rating.stars, "comment": rating.comment, "created_at": _iso(rating.created_at)}


def _questionnaire(questionnaire: Questionnaire | None) -> dict[str, Any] | None:
    if questionnaire is None:
        return None
    return {
        "answers": questionnaire.answers,
        "photo": bool(questionnaire.photo),
        "submitted_at": _iso(questionnaire.submitted_at),
    }


def contact_export(contact: Contact) -> dict[str, Any]:
    """Everything Switchboard holds about one person: details, identities, every conversation in full."""
    family = contact_family(contact)
    contacts = Contact.objects.filter(pk__in=family).order_by("id")
    identities = Identity.objects.filter(contact_id__in=family).order_by("id")
    conversations = (
        Conversation.objects.filter(contact_id__in=family)
        .select_related("queue", "operator", "rating", "questionnaire")
        .prefetch_related("messages__attachments", "messages__author")
        .order_by("created_at", "id")
    )
    return {
        "contact": {
            "id": contact.pk,
            "name": contact.name,
            "email": contact.email,
            "phone": contact.phone,
            "language": contact.language,
            "customer_id": contact.customer_id,
            "created_at": _iso(contact.created_at),
            "merged_contact_ids": [c.pk for c in contacts if c.pk != contact.pk],
        },
        "identities": [
            {
                "connector": i.connector,
                "external_id": i.external_id,
                "display_name": i.display_name,
                "details": i.details,
                "created_at": _iso(i.created_at),
            }
            for i in identities
        ],
        "notes": [
            {
                "text": note.text,
                "author": note.author.display_name if note.author else "",
                "created_at": _iso(note.created_at),
                "edited_at": _iso(note.edited_at),
            }
            for note in ContactNote.objects.filter(contact_id__in=family).select_related("author").order_by("id")
        ],
        "conversations": [
            {
                "id": c.pk,
                "connector": c.connector,
                "queue": c.queue.slug,
                "state": c.state,
                "operator": c.operator.display_name if c.operator else "",
                "created_at": _iso(c.created_at),
                "closed_at": _iso(c.closed_at),
                "messages": [_message(m) for m in c.messages.all()],
                "rating": _rating(getattr(c, "rating", None)),
                "questionnaire": _questionnaire(getattr(c, "questionnaire", None)),
            }
            for c in conversations
        ],
        **{name: exporter(family) for name, exporter in _contact_exporters.items()},
    }
