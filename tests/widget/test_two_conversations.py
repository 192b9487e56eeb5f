"""A visitor with several tabs and chats: each message lands in the open chat its tab follows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async

from chat.actions import InboundMessage, do_close, do_receive_inbound
from chat.errors import ConversationClosed, Forbidden
from chat.models import Message
from connectors.widget.signing import issue_token
from tests.widget.conftest import texts

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

db = database_sync_to_async


async def write(client: Any, text: str, client_id: str) -> int:
    """Send a message and wait for its acknowledgement: the conversation it was stored in."""
    await client.send({"type": "message", "text": text, "client_id": client_id})
    for _ in range(10):
        frame = await client.expect("message")
        if frame.get("client_id") == client_id:
            return int(frame["conversation_id"])
    raise AssertionError(f"{client_id} was not acknowledged")


async def test_a_second_tab_keeps_writing_into_the_chat_its_twin_moved_to_the_stylist(
    widget_client: Any, shopper_writes: Callable[..., Any]
) -> None:
    general = (await db(shopper_writes)("visitor-a", "Where is my order?")).conversation.pk
    general_tab = await widget_client()
    assert (await general_tab.hello(issue_token("visitor-a"), conversation_id=general))["conversation_id"] == general
    consultation_tab = await widget_client()
    consultation = (await consultation_tab.hello(issue_token("visitor-a"), queue="stylist"))["conversation_id"]
    assert consultation == general

    assert await write(general_tab, "Order 1042, please", "g-1") == general
    assert await write(consultation_tab, "Boots for a wedding?", "s-1") == general

    assert (await texts(general))[-2:] == ["Order 1042, please", "Boots for a wedding?"]
    assert await db(Message.objects.filter(conversation_id=general).exclude(author_kind="system").count)() == 3


async def test_a_message_in_a_chat_closed_meanwhile_opens_a_new_one(
    widget_client: Any, shopper_writes: Callable[..., Any]
) -> None:
    general = (await db(shopper_writes)("visitor-a", "first")).conversation.pk
    client = await widget_client()
    await client.hello(issue_token("visitor-a"))
    await db(do_close)(conversation_id=general, by="system")

    new = await write(client, "still there?", "c-1")

    assert new != general
    assert await texts(new) == ["still there?"]


def test_the_action_refuses_a_foreign_or_closed_conversation_and_stores_nothing(
    shopper_writes: Callable[..., Any],
) -> None:
    mine = shopper_writes("visitor-a", "mine").conversation
    theirs = shopper_writes("visitor-b", "theirs").conversation
    on_telegram = shopper_writes("visitor-a", "tg", connector="telegram").conversation

    def write(conversation_id: int, sender: str = "visitor-a") -> None:
        do_receive_inbound(
            InboundMessage(connector="widget", sender_id=sender, text="injected", conversation_id=conversation_id)
        )

    with pytest.raises(Forbidden):
        write(theirs.pk)
    with pytest.raises(Forbidden):
        write(on_telegram.pk)  # the same sender id on another connector is another shopper
    with pytest.raises(Forbidden):
        write(10**9)
    do_close(conversation_id=mine.pk, by="shopper")
    with pytest.raises(ConversationClosed):
        write(mine.pk)
    assert not Message.objects.filter(text="injected").exists()
