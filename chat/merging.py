"""How rows follow a contact into a merge, and go back on undo: one mover per kind of row.

A mover is two functions. ``move(from_id, to_id)`` re-points its rows from one contact to the other
and returns JSON saying exactly which rows it moved; ``undo(data)`` puts those rows back (only those
still where the merge left them). Both run inside the merge's transaction, with both contact rows
locked, so they need no locking of their own. ``chat`` registers identities, conversations and
notes below; other apps register theirs (orders: ``register_mover("orders", move, undo)``) without
``chat`` importing them. A mover registered after a merge simply has nothing to undo for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from chat.models import Contact, ContactNote, Conversation, Identity

MoveRows = Callable[[int, int], Any]
UndoRows = Callable[[Any], None]


@dataclass(frozen=True)
class Mover:
    move: MoveRows
    undo: UndoRows


_movers: dict[str, Mover] = {}


def register_mover(name: str, move: MoveRows, undo: UndoRows) -> None:
    """``move(from_id, to_id) -> undo_json``, ``undo(undo_json)``; a second registration replaces the first."""
    _movers[name] = Mover(move=move, undo=undo)


def movers() -> dict[str, Mover]:
    return dict(_movers)


def contact_fk_mover(model: type[Model], field: str = "contact") -> Mover:
    """The usual mover: rows with a foreign key to the contact; undo moves back the ids it moved."""
    column = f"{field}_id"

    def move(from_id: int, to_id: int) -> dict[str, Any]:
        rows = model._default_manager.filter(**{column: from_id})  # type: ignore[attr-defined]
        ids = sorted(rows.values_list("pk", flat=True))
        model._default_manager.filter(pk__in=ids).update(**{column: to_id})  # type: ignore[attr-defined]
        return {"from": from_id, "to": to_id, "ids": ids}

    def undo(data: dict[str, Any]) -> None:
        rows = model._default_manager.filter(pk__in=data["ids"], **{column: data["to"]})  # type: ignore[attr-defined]
        rows.update(**{column: data["from"]})

    return Mover(move=move, undo=undo)


def _tombstones_move(from_id: int, to_id: int) -> dict[str, Any]:
    """Contacts merged into the source earlier now point at the target: a family stays one level deep."""
    ids = sorted(Contact.objects.filter(merged_into_id=from_id).values_list("pk", flat=True))
    Contact.objects.filter(pk__in=ids).update(merged_into_id=to_id)
    return {"from": from_id, "to": to_id, "ids": ids}


def _tombstones_undo(data: dict[str, Any]) -> None:
    Contact.objects.filter(pk__in=data["ids"], merged_into_id=data["to"]).update(merged_into_id=data["from"])


for _name, _model in (("identities", Identity), ("conversations", Conversation), ("notes", ContactNote)):
    _mover = contact_fk_mover(_model)
    register_mover(_name, _mover.move, _mover.undo)
register_mover("merged_contacts", _tombstones_move, _tombstones_undo)
