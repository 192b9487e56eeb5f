"""How rows follow a contact into a merge, and go back on undo: one mover per kind of row.

A mover is two functions. ``move(from_id, to_id)`` re-points its rows from one contact to the other
and returns JSON saying exactly which rows it moved; ``undo(data)`` puts those rows back (only those
still where the merge left them). Both run inside the merge's transaction, with both contact rows
locked, so they need no locking of their own. A mover registered after a merge simply has nothing
to undo for it.

This module is only the registry: it writes nothing. The movers themselves write rows, so they live
with the merge in ``chat.actions.contacts``: ``contact_fk_mover(model)`` builds the usual one, and
that module registers ``chat``'s own (identities, conversations, notes, earlier tombstones). Other
apps register theirs the same way (orders: ``register_mover("orders", mover.move, mover.undo)``)
without ``chat`` importing them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
