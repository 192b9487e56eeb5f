"""A manager's reopen and write-again reach Telegram and VK shoppers through the normal outbound path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chat.actions import do_close, do_reopen_conversation, do_write_again
from chat.models import Conversation, Message, Operator, Reason
from tests.connectors.helpers import online, telegram_chat, vk_chat
from tests.fakes.telegram import FakeTelegram
from tests.fakes.vk import FakeVk

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


def test_write_again_to_a_telegram_shopper_is_delivered_in_a_new_linked_chat(
    post_update: Callable[..., Any], fake_telegram: FakeTelegram, make_operator: Callable[..., Operator], reason: Reason
) -> None:
    old, olga = telegram_chat(post_update, make_operator)
    do_close(conversation_id=old.pk, operator_id=olga.pk, reason_id=reason.pk)
    fake_telegram.reset()
    maria = online(make_operator("Maria", is_manager=True))
    message = do_write_again(conversation_id=old.pk, operator_id=maria.pk, text="Ваш размер снова в наличии.")
    message.refresh_from_db()
    [sent] = fake_telegram.delivered
    assert (sent["chat"]["id"], sent["text"]) == (111222333, "Ваш размер снова в наличии.")
    assert message.delivery_state == "sent"
    new = Conversation.objects.get(pk=message.conversation_id)
    assert (new.connector, new.previous_id, new.operator_id, new.state) == ("telegram", old.pk, maria.pk, "active")


def test_reopening_a_vk_chat_tells_the_shopper_in_their_language(
    post_event: Callable[..., Any], fake_vk: FakeVk, make_operator: Callable[..., Operator], reason: Reason
) -> None:
    chat, olga = vk_chat(post_event, make_operator)
    do_close(conversation_id=chat.pk, operator_id=olga.pk, reason_id=reason.pk)
    fake_vk.reset()
    maria = online(make_operator("Maria", is_manager=True))
    do_reopen_conversation(conversation_id=chat.pk, operator_id=maria.pk)
    line = Message.objects.filter(conversation=chat, author_kind="system").order_by("-id").first()
    assert line is not None and line.text == "Maria снова открыл(а) чат."  # the VK shopper writes in Russian
    assert Message.objects.get(pk=line.pk).delivery_state == "sent"
    assert [params.get("message") for params in fake_vk.sent()] == [line.text]
