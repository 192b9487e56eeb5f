"""One person, one contact: merging identities (automatically on a verified key, or by hand), undoing
a merge exactly, and the notes operators keep about a customer.

A merge moves every row of the *source* contact to the *target* through the movers registered in
``chat.merging`` (identities, conversations, notes, and whatever other apps registered; the writing
movers are built here, ``contact_fk_mover``), fills the
target's empty details from the source, and leaves the source as a tombstone
(``merged_into = target``). The ``ContactMerge`` row keeps what each mover moved, so the undo puts back
exactly those rows and those details. Both contact rows are locked in primary-key order first, so two
merges of the same contacts run one after the other and the second sees the first's result.

Only a *verified* key merges by itself: the shop's signed customer id, an email or phone that came
signed from the shop, or a phone the connector confirmed (a Telegram user sharing their own number).
A shopper typing an email into a form proves nothing about it, so that never merges.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import Model, Q
from django.utils.translation import gettext as _

from chat import merging
from chat.actions._common import now, retry_on_conflict
from chat.errors import Forbidden, InvalidInput, NotFound, WrongState
from chat.models import Connector, Contact, ContactMerge, ContactNote, Conversation, Identity, MergeKind, Operator
from chat.untrusted import has_lone_surrogate

NOTE_MAX_CHARS = 4000
# Details a merge fills in on the target when the target has none (undo clears them again).
FILLED_FIELDS = ("name", "language", "customer_id", "email", "email_verified", "phone", "phone_verified")


def contact_fk_mover(model: type[Model], field: str = "contact") -> merging.Mover:
    """The usual mover: rows with a foreign key to the contact; undo moves back the ids it moved."""
    column = f"{field}_id"

    def move(from_id: int, to_id: int) -> dict[str, Any]:
        rows = model._default_manager.filter(**{column: from_id})
        ids = sorted(rows.values_list("pk", flat=True))
        model._default_manager.filter(pk__in=ids).update(**{column: to_id})
        return {"from": from_id, "to": to_id, "ids": ids}

    def undo(data: dict[str, Any]) -> None:
        rows = model._default_manager.filter(pk__in=data["ids"], **{column: data["to"]})
        rows.update(**{column: data["from"]})

    return merging.Mover(move=move, undo=undo)


def _tombstones_move(from_id: int, to_id: int) -> dict[str, Any]:
    """Contacts merged into the source earlier now point at the target: a family stays one level deep."""
    ids = sorted(Contact.objects.filter(merged_into_id=from_id).values_list("pk", flat=True))
    Contact.objects.filter(pk__in=ids).update(merged_into_id=to_id)
    return {"from": from_id, "to": to_id, "ids": ids}


def _tombstones_undo(data: dict[str, Any]) -> None:
    Contact.objects.filter(pk__in=data["ids"], merged_into_id=data["to"]).update(merged_into_id=data["from"])


# chat's own rows, registered when the merge action is first imported (before any merge can run).
for _name, _model in (("identities", Identity), ("conversations", Conversation), ("notes", ContactNote)):
    _mover = contact_fk_mover(_model)
    merging.register_mover(_name, _mover.move, _mover.undo)
merging.register_mover("merged_contacts", _tombstones_move, _tombstones_undo)


def normalized_phone(phone: str) -> str:
    """A phone as one key whatever its spelling: ``+`` and the digits (``+7 (916) 123-45-67`` -> ``+79161234567``)."""
    digits = re.sub(r"\D", "", phone)
    return f"+{digits}" if digits else ""


def root_contact_id(contact_id: int) -> int:
    """The contact a (possibly merged) contact now lives in."""
    seen: set[int] = set()
    while contact_id not in seen:
        seen.add(contact_id)
        merged_into = Contact.objects.filter(pk=contact_id).values_list("merged_into_id", flat=True).first()
        if not merged_into:
            break
        contact_id = merged_into
    return contact_id


def _operator(operator_id: int) -> Operator:
    operator = Operator.objects.filter(pk=operator_id).first()
    if operator is None:
        raise Forbidden(_("Only operators do this."))
    return operator


def _lock_pair(first_id: int, second_id: int) -> dict[int, Contact]:
    """Both contacts locked, lower id first (every merge and undo takes them in this order)."""
    rows = Contact.objects.select_for_update().filter(pk__in=[first_id, second_id]).order_by("pk")
    locked = {contact.pk: contact for contact in rows}
    if first_id not in locked or second_id not in locked:
        raise NotFound(_("No such contact."))
    return locked


def _fill_details(target: Contact, source: Contact) -> dict[str, list[Any]]:
    """Copy what the target lacks from the source; returns ``{field: [before, after]}`` of what changed."""
    changed: dict[str, list[Any]] = {}

    def put(field: str, value: Any) -> None:
        before = getattr(target, field)
        if before != value:
            changed[field] = [before, value]
            setattr(target, field, value)

    for field in ("name", "language", "customer_id"):
        if not getattr(target, field) and getattr(source, field):
            put(field, getattr(source, field))
    if not target.email and source.email:
        put("email", source.email)
        put("email_verified", source.email_verified)
    elif source.email_verified and target.email.lower() == source.email.lower():
        put("email_verified", True)
    if not target.phone and source.phone:
        put("phone", source.phone)
        put("phone_verified", source.phone_verified)
    elif source.phone_verified and normalized_phone(target.phone) == normalized_phone(source.phone):
        put("phone_verified", True)
    return changed


def _merge(*, source_id: int, target_id: int, kind: str, key: str = "", actor: Operator | None = None) -> ContactMerge:
    """Fold ``source`` into ``target`` (both must still be live contacts); the caller holds a transaction."""
    if source_id == target_id:
        raise InvalidInput(_("A contact cannot be merged with itself."))
    locked = _lock_pair(source_id, target_id)
    source, target = locked[source_id], locked[target_id]
    if source.merged_into_id or target.merged_into_id:
        raise WrongState(_("One of these contacts was already merged into another; reload the page."))
    if source.erased_at or target.erased_at:
        raise WrongState(_("An erased contact cannot be merged."))
    changed = _fill_details(target, source)
    moved = {name: mover.move(source.pk, target.pk) for name, mover in merging.movers().items()}
    if changed:
        Contact.objects.filter(pk=target.pk).update(**{field: after for field, (_before, after) in changed.items()})
    Contact.objects.filter(pk=source.pk).update(merged_into=target)
    return ContactMerge.objects.create(
        source=source,
        target=target,
        kind=kind,
        key=key,
        actor=actor,
        created_at=now(),
        undo_data={"target_fields": changed, "movers": moved},
    )


@retry_on_conflict
def do_merge_contacts(*, source_id: int, target_id: int, operator_id: int) -> ContactMerge:
    """An operator's merge: ``source`` (and everything of it) goes into ``target``.

    Whether the operator may see both customers is the caller's check (the workspace's read rules);
    here the merge is recorded under their name, so they may undo it.
    """
    operator = _operator(operator_id)
    with transaction.atomic():
        return _merge(
            source_id=root_contact_id(source_id), target_id=root_contact_id(target_id), kind=MergeKind.MANUAL,
            actor=operator,
        )  # fmt: skip


@retry_on_conflict
def do_undo_merge(*, merge_id: int, operator_id: int) -> ContactMerge:
    """Put back exactly what a merge moved: its rows and the details it filled in.

    Managers undo any merge, operators their own. Rows that arrived after the merge (a new chat of
    the merged person) stay with the target: nothing says whose they were. An undone automatic merge
    is never redone automatically for the same two contacts.
    """
    operator = _operator(operator_id)
    with transaction.atomic():
        merge = ContactMerge.objects.select_for_update().filter(pk=merge_id).first()
        if merge is None:
            raise NotFound(_("No such merge."))
        if not operator.is_manager and merge.actor_id != operator.pk:
            raise Forbidden(_("Only a manager or the operator who merged can undo this merge."))
        if merge.undone_at is not None:
            raise WrongState(_("This merge was already undone."))
        locked = _lock_pair(merge.source_id, merge.target_id)
        source, target = locked[merge.source_id], locked[merge.target_id]
        if target.merged_into_id:
            raise WrongState(_("The customer was merged into another one since; undo that merge first."))
        if source.merged_into_id != target.pk:
            raise WrongState(_("This merge was already undone."))
        registered = merging.movers()
        for name, data in reversed(list(merge.undo_data.get("movers", {}).items())):
            if name in registered:
                registered[name].undo(data)
        # Details go back unless someone changed them since (then the newer value stays).
        restore = {
            field: before
            for field, (before, after) in merge.undo_data.get("target_fields", {}).items()
            if getattr(target, field) == after
        }
        if restore:
            Contact.objects.filter(pk=target.pk).update(**restore)
        Contact.objects.filter(pk=source.pk).update(merged_into=None)
        merge.undone_at = now()
        merge.undone_by = operator
        merge.save(update_fields=["undone_at", "undone_by"])
        return merge


def _undone_before(first_id: int, second_id: int) -> bool:
    pair = Q(source_id=first_id, target_id=second_id) | Q(source_id=second_id, target_id=first_id)
    return ContactMerge.objects.filter(pair, undone_at__isnull=False).exists()


def merge_on_verified_keys(contact_id: int) -> list[ContactMerge]:
    """Merge the contact with every live contact sharing a verified key; the older one is kept.

    Runs in the caller's transaction (right after the key was stored). Two contacts that both carry a
    shop customer id, and different ones, are two customers of the shop however alike their emails
    look, so they are left apart.
    """
    merges: list[ContactMerge] = []
    with transaction.atomic():
        checked: set[int] = set()
        while True:
            root = Contact.objects.get(pk=root_contact_id(contact_id))
            keys: list[tuple[str, Q]] = []
            if root.customer_id:
                keys.append(("customer_id", Q(customer_id=root.customer_id)))
            if root.email and root.email_verified:
                keys.append(("email", Q(email__iexact=root.email, email_verified=True)))
            if root.phone and root.phone_verified:
                keys.append(("phone", Q(phone=normalized_phone(root.phone), phone_verified=True)))
            other = None
            for key, match in keys:
                candidates = Contact.objects.filter(match, merged_into__isnull=True, erased_at__isnull=True)
                for candidate in candidates.exclude(pk__in=checked | {root.pk}).order_by("pk"):
                    checked.add(candidate.pk)
                    if root.customer_id and candidate.customer_id and root.customer_id != candidate.customer_id:
                        continue
                    if _undone_before(root.pk, candidate.pk):
                        continue
                    other = (key, candidate)
                    break
                if other:
                    break
            if other is None:
                return merges
            key, candidate = other
            target, source = sorted([root, candidate], key=lambda contact: contact.pk)
            try:
                with transaction.atomic():
                    merges.append(_merge(source_id=source.pk, target_id=target.pk, kind=MergeKind.AUTOMATIC, key=key))
            except WrongState:
                continue  # merged meanwhile by someone else: look again from the new root


def do_merge_signed_visitor(*, visitor_id: str, customer_visitor_id: str) -> ContactMerge | None:
    """A site visitor who chatted anonymously and then signed in at the shop: the same browser holds
    our signed visitor token and the shop's signed customer, so both contacts are one person.

    A visitor contact that is itself a shop customer is someone else signing in on that browser, and
    stays apart.
    """
    if visitor_id == customer_visitor_id:
        return None
    with transaction.atomic():
        visitor = Identity.objects.filter(connector=Connector.WIDGET, external_id=visitor_id).first()
        customer = Identity.objects.filter(connector=Connector.WIDGET, external_id=customer_visitor_id).first()
        if visitor is None or customer is None:
            return None
        source_id, target_id = root_contact_id(visitor.contact_id), root_contact_id(customer.contact_id)
        if source_id == target_id or _undone_before(source_id, target_id):
            return None
        if Contact.objects.filter(pk=source_id).exclude(customer_id="").exists():
            return None
        try:
            with transaction.atomic():
                return _merge(source_id=source_id, target_id=target_id, kind=MergeKind.AUTOMATIC, key="signed_visitor")
        except WrongState:
            return None


def _note_text(text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(_("Write the note first."))
    if len(text) > NOTE_MAX_CHARS:
        raise InvalidInput(_("A note is at most %(max)s characters.") % {"max": NOTE_MAX_CHARS})
    if "\x00" in text or has_lone_surrogate(text):
        raise InvalidInput(_("The note contains a character that cannot be stored; remove it."))
    return text


def do_add_contact_note(*, contact_id: int, operator_id: int, text: str) -> ContactNote:
    """A note on the customer (their live contact, if this one was merged), kept across conversations."""
    operator = _operator(operator_id)
    text = _note_text(text)
    root_id = root_contact_id(contact_id)
    if not Contact.objects.filter(pk=root_id).exists():
        raise NotFound(_("No such contact."))
    return ContactNote.objects.create(contact_id=root_id, author=operator, text=text, created_at=now())


def do_edit_contact_note(*, note_id: int, operator_id: int, text: str) -> ContactNote:
    """Operators edit their own notes only: a note says who wrote it."""
    operator = _operator(operator_id)
    text = _note_text(text)
    with transaction.atomic():
        note = ContactNote.objects.select_for_update().filter(pk=note_id).first()
        if note is None:
            raise NotFound(_("No such note."))
        if note.author_id != operator.pk:
            raise Forbidden(_("You can edit only your own notes."))
        note.text = text
        note.edited_at = now()
        note.save(update_fields=["text", "edited_at"])
        return note
