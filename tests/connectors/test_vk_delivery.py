"""Operator replies to VK: messages.send with a random_id that makes every retry harmless."""

from __future__ import annotations

import pytest

from chat.actions import do_operator_reply
from chat.models import Message
from tests.connectors.helpers import delivery_seen_by, retries_recorded, vk_chat
from tests.fakes.vk import HTTP_SERVER_ERROR, INTERNAL_ERROR, PRIVACY, TOO_MANY_REQUESTS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


def reply(conversation, operator, text: str = "Да, размер M есть.") -> Message:
    message = do_operator_reply(conversation_id=conversation.pk, operator_id=operator.pk, text=text)
    message.refresh_from_db()
    return message


def test_end_to_end_callback_to_operator_and_reply_back(post_event, fake_vk, make_operator):
    conversation, operator = vk_chat(post_event, make_operator)
    message = reply(conversation, operator)
    [sent] = fake_vk.sent()
    assert (sent["peer_id"], sent["message"], sent["v"]) == ("1234567", "Да, размер M есть.", "5.199")
    assert int(sent["random_id"]) == message.pk
    assert message.delivery_state == "sent"
    assert message.delivery_external_id.startswith("1234567:")
    assert delivery_seen_by(operator, message) == [("sent", "")]


def test_random_id_is_the_same_on_every_retry_so_vk_delivers_once(post_event, fake_vk, make_operator):
    conversation, operator = vk_chat(post_event, make_operator)
    fake_vk.lose_next_answer()  # VK delivers, the gateway loses its answer: we must retry
    with retries_recorded() as countdowns:
        message = reply(conversation, operator)
    calls = fake_vk.sent()
    assert len(calls) == 2
    assert {c["random_id"] for c in calls} == {str(message.pk)}
    assert fake_vk.deliveries() == 1
    assert countdowns == [2.0]
    assert message.delivery_state == "sent"


@pytest.mark.parametrize("failure", [TOO_MANY_REQUESTS, INTERNAL_ERROR, HTTP_SERVER_ERROR])
def test_rate_and_server_errors_are_retried(post_event, fake_vk, make_operator, failure):
    conversation, operator = vk_chat(post_event, make_operator)
    fake_vk.fail_next("messages.send", failure)
    with retries_recorded() as countdowns:
        message = reply(conversation, operator)
    assert len(countdowns) == 1
    assert message.delivery_state == "sent"
    assert fake_vk.deliveries() == 1


def test_shopper_who_forbids_messages_fails_at_once_with_the_reason(post_event, fake_vk, make_operator):
    conversation, operator = vk_chat(post_event, make_operator)
    fake_vk.fail_next("messages.send", PRIVACY)
    with retries_recorded() as countdowns:
        message = reply(conversation, operator)
    assert countdowns == []
    assert len(fake_vk.sent()) == 1
    assert message.delivery_state == "failed"
    assert "901" in message.delivery_error and "permission" in message.delivery_error
    assert delivery_seen_by(operator, message) == [("failed", message.delivery_error)]
