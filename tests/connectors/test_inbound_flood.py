"""A Telegram or VK user who floods: every message is stored and shown, and they are asked once to slow down."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chat.models import Message
from tests.connectors.conftest import fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


@pytest.fixture(autouse=True)
def _low_limit(settings: Any) -> None:
    settings.SWITCHBOARD_RATE_LIMITS = {**settings.SWITCHBOARD_RATE_LIMITS, "inbound_user": "3/60"}


def test_a_telegram_flood_is_all_stored_and_answered_with_one_slow_down(post_update, fake_telegram, queues):
    base = fixture("telegram", "message__text")
    for n in range(8):
        update = copy.deepcopy(base)
        update["update_id"] += n
        update["message"]["message_id"] += n
        update["message"]["text"] = f"сообщение {n}"
        assert post_update(update).status_code == 200
    stored = list(Message.objects.filter(connector="telegram").order_by("id").values_list("text", flat=True))
    assert stored == [f"сообщение {n}" for n in range(8)]
    [slow_down] = fake_telegram.calls("sendMessage")
    assert slow_down.params["chat_id"] == "111222333"
    assert slow_down.params["text"].startswith("Вы пишете очень быстро")
    # A repeat of a stored update counts nothing and says nothing.
    assert post_update(base).status_code == 200
    assert len(fake_telegram.calls("sendMessage")) == 1


def test_a_vk_flood_is_all_stored_and_answered_with_one_slow_down(post_event, fake_vk, queues):
    base = fixture("vk", "message_new__text")
    for n in range(6):
        event = copy.deepcopy(base)
        event["event_id"] = f"flood-{n}"
        event["object"]["message"]["conversation_message_id"] += n
        event["object"]["message"]["text"] = f"message {n}"
        assert post_event(event).status_code == 200
    stored = list(Message.objects.filter(connector="vk").order_by("id").values_list("text", flat=True))
    assert stored == [f"message {n}" for n in range(6)]
    [slow_down] = fake_vk.calls("messages.send")
    assert slow_down.params["peer_id"] == "1234567"
    assert slow_down.params["message"].startswith("Вы пишете очень быстро")  # lang_id 0 is Russian
