"""A shopper's personal data: exported or erased by a manager, and erased after the retention period.

Erasure keeps the rows the metrics count (conversations, their times and steps, messages, stars)
and removes what identifies or quotes the person: message texts, attachment files, rating comments,
questionnaire answers and photos, contact details, and the connector ids of their identities (so
their next message starts a new, empty contact). Files go after the transaction commits.
Every export and erasure writes a :class:`DataAuditRecord`: who, when, what.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext_lazy as _

from chat.actions._common import now, retry_on_conflict
from chat.errors import Forbidden, NotFound, WrongState
from chat.models import (
    Attachment,
    Contact,
    ContactMerge,
    ContactNote,
    Conversation,
    ConversationState,
    ConversationStep,
    DataAuditKind,
    DataAuditRecord,
    Event,
    Identity,
    Message,
    Operator,
    Questionnaire,
    Rating,
)
from chat.privacy import ErasureScope, contact_export, contact_family, run_contact_erasers, run_retention_sweepers

# Conversations one retention run erases: short transactions, the rest on the next run.
RETENTION_BATCH = 200


def _manager(operator_id: int) -> Operator:
    operator = Operator.objects.select_related("user").filter(pk=operator_id).first()
    if operator is None or not operator.is_manager:
        raise Forbidden(_("Only managers export or erase a customer's data."))
    return operator


def _contact(contact_id: int, *, lock: bool = False) -> Contact:
    contacts = Contact.objects.select_for_update() if lock else Contact.objects
    contact = contacts.filter(pk=contact_id).first()
    if contact is None:
        raise NotFound(_("No such contact."))
    return contact


def _record(
    kind: str, *, contact: Contact | None, manager: Operator | None, summary: dict[str, Any]
) -> DataAuditRecord:
    return DataAuditRecord.objects.create(
        kind=kind,
        contact=contact,
        actor=manager.user if manager else None,
        actor_name=manager.user.get_username() if manager else "",
        at=now(),
        summary=summary,
    )


def do_export_contact(*, contact_id: int, operator_id: int) -> dict[str, Any]:
    """Everything held about the contact, as JSON; the export itself is recorded."""
    manager = _manager(operator_id)
    with transaction.atomic():
        contact = _contact(contact_id)
        data = contact_export(contact)
        _record(
            DataAuditKind.EXPORT,
            contact=contact,
            manager=manager,
            summary={
                "conversations": [c["id"] for c in data["conversations"]],
                "messages": sum(len(c["messages"]) for c in data["conversations"]),
                "identities": len(data["identities"]),
            },
        )
    return data


def _erase_conversations(conversation_ids: list[int], at: datetime) -> tuple[dict[str, int], list[FieldFile]]:
    """Blank what quotes the shopper in these conversations; the files to delete once committed."""
    attachments = list(Attachment.objects.filter(message__conversation_id__in=conversation_ids))
    questionnaires = list(Questionnaire.objects.filter(conversation_id__in=conversation_ids))
    files = [a.file for a in attachments if a.file] + [q.photo for q in questionnaires if q.photo]
    counts = {
        "messages": Message.objects.filter(conversation_id__in=conversation_ids).update(
            text="", external_id=None, delivery_external_id="", delivery_error=""
        ),
        "attachments": Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()[0],
        "rating_comments": Rating.objects.filter(conversation_id__in=conversation_ids)
        .exclude(comment="")
        .update(comment=""),
        "questionnaires": Questionnaire.objects.filter(pk__in=[q.pk for q in questionnaires]).update(
            answers={}, photo=""
        ),
        "live_events": Event.objects.filter(payload__conversation_id__in=conversation_ids).delete()[0],
    }
    ConversationStep.objects.filter(conversation_id__in=conversation_ids).exclude(note="").update(note="")
    Conversation.objects.filter(pk__in=conversation_ids).update(erased_at=at)
    return counts, files


def _anonymise_contacts(contact_ids: Iterable[int], at: datetime) -> tuple[int, list[tuple[str, str]]]:
    """Contact details gone; identities keep their connector but lose the platform's id and name."""
    identities = list(Identity.objects.filter(contact_id__in=contact_ids))
    for identity in identities:
        Identity.objects.filter(pk=identity.pk).update(external_id=f"erased-{identity.pk}", display_name="", details={})
    Contact.objects.filter(pk__in=contact_ids).update(
        name="", email="", phone="", customer_id="", email_verified=False, phone_verified=False, erased_at=at
    )
    # Notes are about the person; a merge's undo data holds their details: both go.
    ContactNote.objects.filter(contact_id__in=contact_ids).delete()
    ContactMerge.objects.filter(Q(source_id__in=contact_ids) | Q(target_id__in=contact_ids)).delete()
    return len(identities), [(i.connector, i.external_id) for i in identities]


def _delete_files_after_commit(files: list[FieldFile]) -> None:
    def delete() -> None:
        for file in files:
            if file.name:  # the callers collect only stored files; this tells the type checker
                file.storage.delete(file.name)

    transaction.on_commit(delete)


@retry_on_conflict
def do_erase_contact(*, contact_id: int, operator_id: int) -> DataAuditRecord:
    """Erase one person's data (their merged contacts too). Refused while one of their chats is open."""
    manager = _manager(operator_id)
    with transaction.atomic():
        contact = _contact(contact_id, lock=True)
        family = contact_family(contact)
        conversations = Conversation.objects.select_for_update().filter(contact_id__in=family)
        if conversations.exclude(state=ConversationState.CLOSED).exists():
            raise WrongState(_("Close this customer's open chats before erasing their data."))
        conversation_ids = list(conversations.values_list("pk", flat=True))
        at = now()
        counts, files = _erase_conversations(conversation_ids, at)
        counts["identities"], identities = _anonymise_contacts(family, at)
        counts.update(
            run_contact_erasers(
                ErasureScope(identities=identities, conversation_ids=conversation_ids, contact_ids=family)
            )
        )
        record = _record(
            DataAuditKind.ERASE,
            contact=contact,
            manager=manager,
            summary={"conversations": conversation_ids, "contacts": family, **counts},
        )
        _delete_files_after_commit(files)
    return record


def do_erase_expired_conversations(*, at: datetime | None = None) -> DataAuditRecord | None:
    """Erase conversations closed more than ``SWITCHBOARD_RETENTION_DAYS`` ago (0: keep everything).

    A contact left with nothing but erased conversations is anonymised too. One batch per call.
    """
    days = settings.SWITCHBOARD_RETENTION_DAYS
    if days <= 0:
        return None
    at = at or now()
    cutoff = at - timedelta(days=days)
    with transaction.atomic():
        due = Conversation.objects.select_for_update(skip_locked=True).filter(
            state=ConversationState.CLOSED, closed_at__lt=cutoff, erased_at__isnull=True
        )
        conversation_ids = list(due.order_by("closed_at", "id").values_list("pk", flat=True)[:RETENTION_BATCH])
        swept = run_retention_sweepers(cutoff)
        if not conversation_ids and not any(swept.values()):
            return None
        counts, files = _erase_conversations(conversation_ids, at)
        touched = set(Conversation.objects.filter(pk__in=conversation_ids).values_list("contact_id", flat=True))
        spent = list(
            Contact.objects.filter(pk__in=touched, erased_at__isnull=True)
            .annotate(kept=Count("conversations", filter=Q(conversations__erased_at__isnull=True)))
            .filter(kept=0)
            .values_list("pk", flat=True)
        )
        counts["identities"], identities = _anonymise_contacts(spent, at)
        if spent:
            counts.update(
                run_contact_erasers(
                    ErasureScope(identities=identities, conversation_ids=conversation_ids, contact_ids=spent)
                )
            )
        record = _record(
            DataAuditKind.RETENTION,
            contact=None,
            manager=None,
            summary={
                "cutoff": cutoff.isoformat(),
                "conversations": conversation_ids,
                "contacts": spent,
                **counts,
                **{f"{name}_before_cutoff": n for name, n in swept.items()},
            },
        )
        _delete_files_after_commit(files)
    return record
