"""One description of a shopper's new message: its columns and who is told about it.

``do_receive_inbound`` stores such a message in two ways: through the ORM (a first message, a
closed chat, SQLite) and, for the common case on PostgreSQL, in one hand-written statement. Both
build the row from :class:`ShopperMessageRow` and the audience from :func:`message_audiences` /
:data:`AUDIENCE_SQL`, so a new ``Message`` field or audience is added here once
(``tests/chat/test_message_rows.py`` fails when a field is missing).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models

from chat import events
from chat.models import AuthorKind, DeliveryState, Message


@dataclass(frozen=True)
class ShopperMessageRow:
    """Every column of ``chat_message`` but the id, as a shopper's new message has them."""

    conversation_id: int
    connector: str
    text: str
    external_id: str | None
    created_at: datetime
    author_kind: str = AuthorKind.SHOPPER
    author_id: int | None = None
    is_note: bool = False
    edited_at: datetime | None = None
    delivery_state: str = DeliveryState.NONE  # inbound messages are never delivered
    delivery_external_id: str = ""
    delivery_error: str = ""
    delivery_attempts: int = 0

    def values(self) -> dict[str, Any]:
        return {item.name: getattr(self, item.name) for item in dataclasses.fields(self)}

    def build(self) -> Message:
        """The unsaved ``Message`` (the ORM path saves it; the fast path fills in the id)."""
        return Message(**self.values())

    def sql_params(self) -> dict[str, Any]:
        """The values under the placeholder names of :data:`INSERT_COLUMNS_SQL` / :data:`INSERT_VALUES_SQL`."""
        return {f"message_{name}": value for name, value in self.values().items()}


def _column(attname: str) -> str:
    field = Message._meta.get_field(attname)
    assert isinstance(field, models.Field)
    return str(field.column)


_NAMES = [item.name for item in dataclasses.fields(ShopperMessageRow)]
# "conversation_id, connector, ..." and "%(message_conversation_id)s, ..." in the same order.
INSERT_COLUMNS_SQL = ", ".join(_column(name) for name in _NAMES)
INSERT_VALUES_SQL = ", ".join(f"%(message_{name})s" for name in _NAMES)


def message_audiences(operator_id: int | None) -> list[str]:
    """The workspace audience of a new message: its operator, or every operator while it is queued."""
    return [events.operator_group(operator_id)] if operator_id else [events.STAFF]


# The same rule in SQL, over a column holding the conversation's operator id (params from audience_params()).
AUDIENCE_SQL = (
    "CASE WHEN {operator} IS NULL THEN %(audience_staff)s ELSE %(audience_operator_prefix)s || {operator} END"
)


def audience_params() -> dict[str, str]:
    return {"audience_staff": events.STAFF, "audience_operator_prefix": events.OPERATOR_GROUP_PREFIX}
