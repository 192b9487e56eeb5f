"""Operator replies to Telegram: sent once, retried on 5xx/429, failed visibly on 403."""

from __future__ import annotations

import pytest

from chat.actions import do_operator_reply, do_retry_delivery
from chat.models import Message
from connectors import delivery
from tests.connectors.helpers import delivery_seen_by, retries_recorded, telegram_chat
from tests.fakes.telegram import BLOCKED, SERVER_ERROR, too_many_requests

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


def reply(conversation, operator, text: str = "Ваш заказ уже в пути.") -> Message:
    message = do_operator_reply(conversation_id=conversation.pk, operator_id=operator.pk, text=text)
    message.refresh_from_db()
    return message


def test_end_to_end_webhook_to_operator_and_reply_back(post_update, fake_telegram, make_operator):
    conversation, operator = telegram_chat(post_update, make_operator)
    message = reply(conversation, operator, "Ваш заказ 1042 уже в пути <b>завтра</b>.")
    [sent] = fake_telegram.delivered
    assert sent["chat"]["id"] == 111222333
    assert sent["text"] == "Ваш заказ 1042 уже в пути <b>завтра</b>."
    assert fake_telegram.calls("sendMessage")[0].params.get("parse_mode") is None  # sent as plain text
    assert message.delivery_state == "sent"
    assert message.delivery_external_id == f"111222333:{sent['message_id']}"
    assert delivery_seen_by(operator, message) == [("sent", "")]


def test_500_then_200_is_delivered_exactly_once(post_update, fake_telegram, make_operator):
    conversation, operator = telegram_chat(post_update, make_operator)
    fake_telegram.fail_next("sendMessage", SERVER_ERROR)
    with retries_recorded() as countdowns:
        message = reply(conversation, operator)
    assert len(fake_telegram.calls("sendMessage")) == 2
    assert [m["text"] for m in fake_telegram.delivered] == ["Ваш заказ уже в пути."]
    assert (message.delivery_state, message.delivery_error, message.delivery_attempts) == ("sent", "", 2)
    assert countdowns == [2.0]
    seen = delivery_seen_by(operator, message)
    assert seen[0][0] == "pending" and "retrying in 2 s" in seen[0][1]
    assert seen[-1] == ("sent", "")


def test_429_waits_the_retry_after_telegram_asked_for(post_update, fake_telegram, make_operator):
    conversation, operator = telegram_chat(post_update, make_operator)
    fake_telegram.fail_next("sendMessage", too_many_requests(7))
    with retries_recorded() as countdowns:
        message = reply(conversation, operator)
    assert countdowns == [7.0]
    assert message.delivery_state == "sent"
    assert len(fake_telegram.delivered) == 1
    assert "retrying in 7 s" in delivery_seen_by(operator, message)[0][1]


def test_blocked_bot_fails_at_once_with_the_reason_and_no_retries(post_update, fake_telegram, make_operator):
    conversation, operator = telegram_chat(post_update, make_operator)
    fake_telegram.fail_next("sendMessage", BLOCKED)
    with retries_recorded() as countdowns:
        message = reply(conversation, operator)
    assert countdowns == []
    assert len(fake_telegram.calls("sendMessage")) == 1
    assert message.delivery_state == "failed"
    assert "bot was blocked by the user" in message.delivery_error
    assert message.delivery_attempts == 1
    assert delivery_seen_by(operator, message) == [("failed", message.delivery_error)]


def test_failed_message_is_sent_again_from_the_retry_button(post_update, fake_telegram, make_operator):
    conversation, operator = telegram_chat(post_update, make_operator)
    fake_telegram.fail_next("sendMessage", BLOCKED)
    message = reply(conversation, operator)
    assert message.delivery_state == "failed"
    do_retry_delivery(message_id=message.pk, operator_id=operator.pk)
    message.refresh_from_db()
    assert (message.delivery_state, message.delivery_error) == ("sent", "")
    assert len(fake_telegram.delivered) == 1


def test_gives_up_after_the_last_retry_and_says_why(post_update, fake_telegram, make_operator, monkeypatch):
    monkeypatch.setattr(delivery, "MAX_RETRIES", 2)
    conversation, operator = telegram_chat(post_update, make_operator)
    fake_telegram.fail_next("sendMessage", SERVER_ERROR, SERVER_ERROR, SERVER_ERROR, SERVER_ERROR)
    with retries_recorded() as countdowns:
        message = reply(conversation, operator)
    assert countdowns == [2.0, 4.0]  # exponential backoff
    assert len(fake_telegram.calls("sendMessage")) == 3
    assert fake_telegram.delivered == []
    assert message.delivery_state == "failed"
    assert "gave up after 3 attempts" in message.delivery_error
    assert message.delivery_attempts == 3


def test_a_repeated_task_never_sends_a_sent_message_again(post_update, fake_telegram, make_operator):
    conversation, operator = telegram_chat(post_update, make_operator)
    message = reply(conversation, operator)
    assert delivery.deliver_message.apply(args=[message.pk]).get() == "skipped"
    assert len(fake_telegram.delivered) == 1


def test_notes_are_never_sent_to_the_shopper(post_update, fake_telegram, make_operator):
    conversation, operator = telegram_chat(post_update, make_operator)
    do_operator_reply(conversation_id=conversation.pk, operator_id=operator.pk, text="internal", is_note=True)
    assert fake_telegram.calls("sendMessage") == []
