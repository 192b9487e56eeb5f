"""A shopper's message is described once (chat.actions.message_rows) for both ways it is stored."""

from __future__ import annotations

import dataclasses

import pytest
from django.db import connection

from chat.actions import InboundMessage, do_receive_inbound
from chat.actions.message_rows import INSERT_COLUMNS_SQL, ShopperMessageRow
from chat.models import Event, Message

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_row_description_names_every_message_column() -> None:
    """A new Message field must be added to ShopperMessageRow, or the fast statement would skip it."""
    described = {item.name for item in dataclasses.fields(ShopperMessageRow)}
    columns = {field.attname for field in Message._meta.concrete_fields if not field.primary_key}
    assert described == columns
    model_columns = {field.column for field in Message._meta.concrete_fields if not field.primary_key}
    assert set(INSERT_COLUMNS_SQL.split(", ")) == model_columns


@pytest.mark.skipif(connection.vendor == "sqlite", reason="the one-statement path exists on PostgreSQL only")
def test_the_fast_statement_and_the_orm_store_the_same_row(queues) -> None:
    first = do_receive_inbound(InboundMessage(connector="widget", sender_id="v-1", text="hello", external_id="v-1:a"))
    second = do_receive_inbound(
        InboundMessage(
            connector="widget",
            sender_id="v-1",
            text="and another thing",
            external_id="v-1:b",
            conversation_id=first.conversation.pk,
        )
    )
    assert second.conversation.pk == first.conversation.pk
    ignored = {"id", "text", "external_id", "created_at"}
    names = [f.attname for f in Message._meta.concrete_fields if f.attname not in ignored]
    by_orm, by_statement = (
        Message.objects.filter(pk=pk).values(*names).get() for pk in (first.message.pk, second.message.pk)
    )
    assert by_statement == by_orm
    # Both told the same audience (the queue's staff) about their message.
    audiences = list(Event.objects.filter(kind="message.new").order_by("id").values_list("audience", flat=True))
    assert audiences == ["staff", "staff"]
