"""Telegram and VK shoppers read the transcript's system lines too: they are sent like a reply."""

from __future__ import annotations

import pytest

from chat.actions import do_set_operator_status, do_transfer
from chat.models import Message
from tests.connectors.helpers import online, telegram_chat, vk_chat

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


def test_a_telegram_shopper_is_told_when_their_operator_goes_offline(post_update, fake_telegram, make_operator):
    conversation, operator = telegram_chat(post_update, make_operator)
    do_set_operator_status(operator_id=operator.pk, status="offline")
    [sent] = fake_telegram.delivered
    assert sent["chat"]["id"] == 111222333
    line = Message.objects.get(conversation=conversation, author_kind="system")
    assert sent["text"] == line.text
    # The shopper's Telegram is in Russian: so is the line.
    assert line.text == "Olga больше не на связи. Вы снова первый в очереди: ответит первый освободившийся оператор."
    line.refresh_from_db()
    assert line.delivery_state == "sent"


def test_a_vk_shopper_is_told_who_takes_over_after_a_transfer(post_event, fake_vk, make_operator):
    conversation, olga = vk_chat(post_event, make_operator)
    boris = online(make_operator("Boris"))
    do_transfer(conversation_id=conversation.pk, actor_operator_id=olga.pk, to_operator_id=boris.pk)
    [sent] = fake_vk.sent()
    line = Message.objects.get(conversation=conversation, author_kind="system")
    assert sent["message"] == line.text
    assert "Boris" in line.text and "Olga" in line.text
