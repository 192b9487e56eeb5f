"""The management commands against the fake servers, for a bounded number of polls."""

from __future__ import annotations

import copy
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from chat.models import Message
from connectors.models import RawUpdate
from tests.connectors.conftest import TG_SECRET, fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_webhook_set_info_delete(fake_telegram):
    url = "https://shop.example/connectors/telegram/webhook/"
    run("telegram_webhook", "set", url)
    [call] = fake_telegram.calls("setWebhook")
    assert (call.params["url"], call.params["secret_token"]) == (url, TG_SECRET)
    assert "callback_query" in call.params["allowed_updates"]
    assert url in run("telegram_webhook", "info")
    run("telegram_webhook", "delete")
    assert len(fake_telegram.calls("deleteWebhook")) == 1


def test_webhook_set_refuses_without_https_or_secret(fake_telegram, settings):
    with pytest.raises(CommandError, match="https"):
        run("telegram_webhook", "set", "http://shop.example/hook/")
    settings.TELEGRAM_WEBHOOK_SECRET = ""
    with pytest.raises(CommandError, match="TELEGRAM_WEBHOOK_SECRET"):
        run("telegram_webhook", "set", "https://shop.example/hook/")
    assert fake_telegram.calls("setWebhook") == []


def test_commands_say_when_the_connector_is_off(settings):
    settings.TELEGRAM_BOT_TOKEN = ""
    settings.VK_GROUP_TOKEN = ""
    for command in ("telegram_poll", "vk_longpoll"):
        with pytest.raises(CommandError, match="off"):
            run(command, "--once")


def test_poll_stores_updates_once_and_ends_in_the_same_action_as_the_webhook(fake_telegram, queues, post_update):
    text = fixture("telegram", "message__text")
    photo = fixture("telegram", "message__photo")
    fake_telegram.add_file("AgACAgIAAxkBAAIBlarge", b"\xff\xd8\xfflarge", "photos/file_1.jpg")
    fake_telegram.queue_update(text)
    fake_telegram.queue_update(photo)
    assert "Stored 2 new updates" in run("telegram_poll", "--max-iterations", "2", "--timeout", "0")
    offsets = [call.params.get("offset") for call in fake_telegram.calls("getUpdates")]
    assert offsets == [None, str(photo["update_id"] + 1)]
    messages = list(Message.objects.filter(connector="telegram").order_by("id"))
    assert [m.external_id for m in messages] == ["111222333:11", "111222333:14"]
    assert messages[1].attachments.get().file.read() == b"\xff\xd8\xfflarge"
    # The same update arriving by webhook later (a switch from polling) changes nothing.
    assert post_update(text).status_code == 200
    assert Message.objects.filter(connector="telegram").count() == 2
    assert RawUpdate.objects.count() == 2


def test_vk_longpoll_stores_events_once(fake_vk, queues):
    event = fixture("vk", "message_new__text")
    del event["secret"]  # Long Poll events carry no secret
    fake_vk.events = [event, copy.deepcopy(event)]
    assert "Stored 1 new events" in run("vk_longpoll", "--max-iterations", "2", "--wait", "0")
    [server_call] = fake_vk.calls("groups.getLongPollServer")
    assert server_call.params["group_id"] == "229000111"
    assert len(fake_vk.calls("longpoll")) == 2
    [message] = Message.objects.filter(connector="vk")
    assert message.text == "Добрый день, есть ли размер M?"
