"""Customer 360 in the workspace API: the customer's whole picture, notes, merge and undo.

Mounted on the workspace's ``api`` (same auth, same error shape). Who may see a customer is the
workspace's read rule (``selectors.access_contact``): checked before the body is looked at, so a
refused caller learns nothing from a validation error either.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from chat import actions
from chat.errors import InvalidInput, NotFound
from chat.models import ContactMerge, ContactNote
from workspace.api_common import ERRORS, PathId, me
from workspace.customers import customer_view, live_contact, merge_candidates

router: Router = Router(tags=["customers"])


class IdentityRowOut(Schema):
    kind: str
    label: str
    text: str
    url: str
    raw: str = ""
    verified: str = ""


class CustomerConversationOut(Schema):
    id: int
    connector: str
    state: str
    created_at: datetime
    closed_at: datetime | None
    operator_name: str
    reason: str
    stars: int | None
    url: str


class AnswerOut(Schema):
    key: str
    label: str
    value: str


class QuestionnaireOut(Schema):
    conversation_id: int
    submitted_at: datetime | None
    rows: list[AnswerOut]


class NoteOut(Schema):
    id: int
    text: str
    author_name: str
    mine: bool
    created_at: datetime
    edited_at: datetime | None


class MergeOut(Schema):
    id: int
    source_id: int
    target_id: int
    kind: str
    key: str
    actor_name: str
    created_at: datetime
    undone_at: datetime | None
    can_undo: bool


class CustomerOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    customer_id: str
    languages: list[str]
    identities: list[IdentityRowOut]
    conversations: list[CustomerConversationOut]
    questionnaires: list[QuestionnaireOut]
    notes: list[NoteOut]
    merges: list[MergeOut]
    page_url: str


class CandidateOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    connectors: list[str]


class NoteIn(Schema):
    text: str = ""


class MergeIn(Schema):
    # Optional in the schema so that a caller who may not see the customer gets 403, not a 400.
    source_id: int | None = None


def note_payload(note: ContactNote, operator_id: int) -> dict[str, Any]:
    return {
        "id": note.pk,
        "text": note.text,
        "author_name": note.author.display_name if note.author else "",
        "mine": note.author_id == operator_id,
        "created_at": note.created_at,
        "edited_at": note.edited_at,
    }


def merge_payload(merge: ContactMerge, can_undo: bool) -> dict[str, Any]:
    return {
        "id": merge.pk,
        "source_id": merge.source_id,
        "target_id": merge.target_id,
        "kind": merge.kind,
        "key": merge.key,
        "actor_name": merge.actor.display_name if merge.actor else "",
        "created_at": merge.created_at,
        "undone_at": merge.undone_at,
        "can_undo": can_undo,
    }


@router.get("/customers/{contact_id}", response={200: CustomerOut, **ERRORS}, summary="Customer 360")
def get_customer(request: HttpRequest, contact_id: PathId) -> dict[str, Any]:
    """Identities as people read them, languages, every conversation you may read (rating, reason,
    transcript link), questionnaire answers, notes and merges. A merged-away id answers as the
    customer it was merged into (``id`` says which)."""
    operator = me(request)
    view = customer_view(live_contact(contact_id=contact_id, operator=operator), operator)
    contact = view["contact"]
    return {
        "id": contact.pk,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "customer_id": contact.customer_id,
        "languages": view["languages"],
        "identities": view["identities"],
        "conversations": view["conversations"],
        "questionnaires": view["questionnaires"],
        "notes": [note_payload(note, operator.pk) for note in view["notes"]],
        "merges": [merge_payload(item["merge"], item["can_undo"]) for item in view["merges"]],
        "page_url": f"/workspace/customers/{contact.pk}/",
    }


@router.post("/customers/{contact_id}/notes", response={201: NoteOut, **ERRORS}, summary="Add a note on a customer")
def add_note(request: HttpRequest, contact_id: PathId, body: NoteIn) -> Status:
    """Kept across the customer's conversations; operators only ever see it (shown escaped)."""
    operator = me(request)
    contact = live_contact(contact_id=contact_id, operator=operator)
    note = actions.do_add_contact_note(contact_id=contact.pk, operator_id=operator.pk, text=body.text)
    return Status(201, note_payload(note, operator.pk))


@router.patch("/customer-notes/{note_id}", response={200: NoteOut, **ERRORS}, summary="Edit your own note")
def edit_note(request: HttpRequest, note_id: PathId, body: NoteIn) -> dict[str, Any]:
    operator = me(request)
    note = ContactNote.objects.filter(pk=note_id).first()
    if note is None:
        raise NotFound(_("No such note."))
    live_contact(contact_id=note.contact_id, operator=operator)
    note = actions.do_edit_contact_note(note_id=note.pk, operator_id=operator.pk, text=body.text)
    return note_payload(note, operator.pk)


@router.get(
    "/customers/{contact_id}/merge-candidates",
    response={200: list[CandidateOut], **ERRORS},
    summary="Find another contact to merge with",
)
def find_candidates(request: HttpRequest, contact_id: PathId, q: str = "") -> list[dict[str, Any]]:
    """By name, email, phone, @username, shop customer id or connector id; only customers you may see."""
    operator = me(request)
    contact = live_contact(contact_id=contact_id, operator=operator)
    return [
        {
            "id": c.pk,
            "name": c.name,
            "email": c.email,
            "phone": c.phone,
            "connectors": sorted({i.connector for i in c.identities.all()}),
        }
        for c in merge_candidates(contact=contact, operator=operator, query=q[:200])
    ]


@router.post(
    "/customers/{contact_id}/merge", response={200: MergeOut, **ERRORS}, summary="Merge a contact into this one"
)
def merge(request: HttpRequest, contact_id: PathId, body: MergeIn) -> dict[str, Any]:
    """``source_id`` and everything of it (identities, conversations, notes, other apps' rows) moves
    into this customer. You must be able to see both. 409 if either was merged meanwhile."""
    operator = me(request)
    target = live_contact(contact_id=contact_id, operator=operator)
    if body.source_id is None:
        raise InvalidInput(_("Choose the customer to merge."))
    source = live_contact(contact_id=body.source_id, operator=operator)
    done = actions.do_merge_contacts(source_id=source.pk, target_id=target.pk, operator_id=operator.pk)
    return merge_payload(done, True)


@router.post("/customer-merges/{merge_id}/undo", response={200: MergeOut, **ERRORS}, summary="Undo a merge")
def undo(request: HttpRequest, merge_id: PathId) -> dict[str, Any]:
    """Puts back exactly what the merge moved. Managers, or the operator who merged."""
    operator = me(request)
    found = ContactMerge.objects.filter(pk=merge_id).first()
    if found is None:
        raise NotFound(_("No such merge."))
    live_contact(contact_id=found.target_id, operator=operator)
    done = actions.do_undo_merge(merge_id=found.pk, operator_id=operator.pk)
    return merge_payload(done, False)
