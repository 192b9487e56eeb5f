"""The general sending API other apps use for keyboards (ratings, consultations), and the admin."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from connectors import callbacks
from connectors.telegram import client as telegram
from connectors.vk import client as vk

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


def test_telegram_text_with_an_inline_keyboard_and_its_later_removal(fake_telegram):
    keyboard = {"inline_keyboard": [[{"text": "⭐ 5", "callback_data": callbacks.callback_data("rate", "42:5")}]]}
    message_id = telegram.send_text(111222333, "Оцените чат", reply_markup=keyboard)
    [sent] = fake_telegram.calls("sendMessage")
    assert json.loads(sent.params["reply_markup"]) == keyboard
    telegram.edit_message_reply_markup(111222333, message_id, None)
    [edit] = fake_telegram.calls("editMessageReplyMarkup")
    assert edit.params["message_id"] == str(message_id)


def test_vk_text_with_a_callback_keyboard(fake_vk):
    keyboard = {
        "inline": True,
        "buttons": [[{"action": {"type": "callback", "label": "5", "payload": json.dumps({"data": "rate:42:5"})}}]],
    }
    vk.send_text(1234567, "Оцените чат", random_id=vk.random_id_for(77), keyboard=keyboard)
    [sent] = fake_vk.sent()
    assert json.loads(sent["keyboard"]) == keyboard
    assert sent["random_id"] == "77"


def test_button_data_over_telegrams_64_bytes_is_refused_when_built():
    with pytest.raises(ValueError, match="64 bytes"):
        callbacks.callback_data("rate", "x" * 64)


def test_admin_says_which_connector_is_off(client, settings):
    settings.TELEGRAM_BOT_TOKEN = ""
    settings.VK_GROUP_TOKEN = "vk-token"
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456")
    client.force_login(admin)
    page = client.get("/admin/connectors/rawupdate/").content.decode()
    assert "Telegram connector: off: TELEGRAM_BOT_TOKEN is not set" in page
    assert "VK connector: on" in page
