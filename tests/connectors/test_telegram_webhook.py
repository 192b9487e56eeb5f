"""The Telegram webhook as Telegram and the operator see it, against a local Bot API server."""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest

from chat.models import Attachment, Contact, Identity, Message
from connectors import callbacks
from connectors.models import RawUpdate, RawUpdateState
from tests.connectors.conftest import fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


def shopper_messages() -> list[Message]:
    return list(Message.objects.filter(connector="telegram", author_kind="shopper").order_by("id"))


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", "tg-webhook-secre"])
def test_wrong_or_missing_secret_is_refused_and_nothing_is_stored(post_update, fake_telegram, queues, secret):
    response = post_update(fixture("telegram", "message__text"), secret=secret)
    assert response.status_code == 403
    assert RawUpdate.objects.count() == 0
    assert Message.objects.count() == 0
    assert fake_telegram.requests == []


def test_connector_without_token_refuses_webhook(post_update, fake_telegram, queues, settings):
    settings.TELEGRAM_BOT_TOKEN = ""
    assert post_update(fixture("telegram", "message__text")).status_code == 403
    assert RawUpdate.objects.count() == 0


def test_text_message_lands_in_a_queued_conversation_with_a_contact(post_update, fake_telegram, queues):
    response = post_update(fixture("telegram", "message__text"))
    assert response.status_code == 200
    [message] = shopper_messages()
    assert message.text == "Здравствуйте! Где мой заказ 1042?"
    assert message.external_id == "111222333:11"
    assert message.conversation.state == "queued"
    contact = message.conversation.contact
    assert (contact.name, contact.language) == ("Anna Ivanova", "ru")
    identity = Identity.objects.get(connector="telegram", external_id="111222333")
    assert identity.details["chat_id"] == 111222333
    raw = RawUpdate.objects.get()
    assert (raw.update_id, raw.state) == ("800000001", RawUpdateState.PROCESSED)


def test_same_update_twice_is_one_message(post_update, fake_telegram, queues):
    update = fixture("telegram", "message__text")
    assert post_update(update).status_code == 200
    assert post_update(update).status_code == 200
    assert len(shopper_messages()) == 1
    assert RawUpdate.objects.count() == 1


def test_one_contact_per_telegram_user_across_messages(post_update, fake_telegram, queues):
    first = fixture("telegram", "message__text")
    second = copy.deepcopy(first)
    second["update_id"] += 100
    second["message"]["message_id"] += 100
    second["message"]["text"] = "И ещё вопрос"
    post_update(first)
    post_update(second)
    messages = shopper_messages()
    assert len(messages) == 2
    assert messages[0].conversation_id == messages[1].conversation_id
    assert Contact.objects.count() == 1


def test_edit_updates_the_text_and_marks_it_edited_without_a_new_message(post_update, fake_telegram, queues):
    post_update(fixture("telegram", "message__text"))
    assert post_update(fixture("telegram", "edited_message__text")).status_code == 200
    [message] = shopper_messages()
    assert message.text == "Здравствуйте! Где мой заказ 1043?"
    assert message.edited_at is not None


def test_photo_is_downloaded_largest_size_and_stored_with_caption(post_update, fake_telegram, queues):
    fake_telegram.add_file("AgACAgIAAxkBAAIBlarge", b"\xff\xd8\xffLarge-jpeg", "photos/file_1.jpg")
    fake_telegram.add_file("AgACAgIAAxkBAAIBsmall", b"\xff\xd8\xffsmall", "photos/file_0.jpg")
    assert post_update(fixture("telegram", "message__photo")).status_code == 200
    [message] = shopper_messages()
    assert message.text == "Вот такое платье"
    [attachment] = Attachment.objects.filter(message=message)
    assert attachment.content_type == "image/jpeg"
    assert attachment.file.read() == b"\xff\xd8\xffLarge-jpeg"
    assert [r.params["file_id"] for r in fake_telegram.calls("getFile")] == ["AgACAgIAAxkBAAIBlarge"]


def test_document_is_downloaded_with_its_name(post_update, fake_telegram, queues):
    fake_telegram.add_file("BQACAgIAAxkBAAIBdoc", b"%PDF-1.7 receipt", "documents/file_7.pdf")
    post_update(fixture("telegram", "message__document"))
    [message] = shopper_messages()
    [attachment] = message.attachments.all()
    assert (attachment.name, attachment.content_type) == ("receipt.pdf", "application/pdf")
    assert attachment.file.read() == b"%PDF-1.7 receipt"


def test_failed_download_leaves_a_readable_note_not_a_lost_message(post_update, fake_telegram, queues):
    post_update(fixture("telegram", "message__document"))  # the fake has no such file: getFile fails
    [message] = shopper_messages()
    assert message.text == "[document receipt.pdf: could not be downloaded]"


@pytest.mark.parametrize(
    ("name", "placeholder"),
    [
        ("message__sticker", "[sticker 😀]"),
        ("message__voice", "[voice message, 5 s]"),
        ("message__location", "[location 55.75, 37.62]"),
    ],
)
def test_unsupported_types_are_stored_as_readable_placeholders(post_update, fake_telegram, queues, name, placeholder):
    assert post_update(fixture("telegram", name)).status_code == 200
    [message] = shopper_messages()
    assert message.text == placeholder


def test_start_gets_a_greeting_and_opens_no_conversation(post_update, fake_telegram, queues):
    assert post_update(fixture("telegram", "message__start")).status_code == 200
    assert shopper_messages() == []
    [sent] = fake_telegram.calls("sendMessage")
    assert sent.params["chat_id"] == "111222333"
    assert sent.params["text"].startswith("Здравствуйте")


def test_start_answers_with_the_shops_own_greeting_when_it_set_one(post_update, fake_telegram, queues, settings):
    settings.SWITCHBOARD_GREETING_RU = "Привет! Это Northwind, пишите."
    assert post_update(fixture("telegram", "message__start")).status_code == 200
    [sent] = fake_telegram.calls("sendMessage")
    assert sent.params["text"] == "Привет! Это Northwind, пишите."


def test_claimed_command_goes_to_its_handler_unclaimed_is_text(post_update, fake_telegram, queues):
    post_update(fixture("telegram", "message__stylist"))
    [message] = shopper_messages()
    assert message.text == "/stylist"

    seen: list[callbacks.Command] = []

    def stylist(command: callbacks.Command) -> str:
        seen.append(command)
        return "A stylist will write to you."

    callbacks.register_command_handler("stylist", stylist)
    update = fixture("telegram", "message__stylist")
    update["update_id"] += 1000
    update["message"]["message_id"] += 1000
    post_update(update)
    assert len(shopper_messages()) == 1
    assert [(c.name, c.sender_id, c.chat_id) for c in seen] == [("stylist", "111222333", "111222333")]
    assert fake_telegram.sent_texts() == ["A stylist will write to you."]


def test_callback_query_reaches_its_handler_and_is_answered(post_update, fake_telegram, queues):
    presses: list[callbacks.ButtonPress] = []

    def rate(press: callbacks.ButtonPress) -> str:
        presses.append(press)
        return "Thank you!"

    callbacks.register_callback_handler("rate", rate)
    assert post_update(fixture("telegram", "callback_query")).status_code == 200
    [press] = presses
    assert (press.prefix, press.rest, press.sender_id) == ("rate", "42:5", "111222333")
    assert press.message_external_id == "111222333:1000"
    [answer] = fake_telegram.calls("answerCallbackQuery")
    assert answer.params["callback_query_id"] == "4382bfdwdsb323b2d9"
    assert answer.params["text"] == "Thank you!"


def test_group_chat_is_ignored_and_logged(post_update, fake_telegram, queues, caplog):
    with caplog.at_level(logging.WARNING):
        assert post_update(fixture("telegram", "message__group_text")).status_code == 200
    assert shopper_messages() == []
    raw = RawUpdate.objects.get()
    assert raw.state == RawUpdateState.IGNORED
    assert "supergroup" in raw.note
    assert "800000011" in caplog.text


def test_unknown_update_type_is_stored_ignored_and_answered_200(post_update, fake_telegram, queues):
    assert post_update(fixture("telegram", "my_chat_member")).status_code == 200
    raw = RawUpdate.objects.get()
    assert (raw.kind, raw.state) == ("my_chat_member", RawUpdateState.IGNORED)
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("{not json", 400),
        ("[1, 2, 3]", 400),
        (json.dumps({"message": {"text": "no update id"}}), 400),
        (json.dumps({"update_id": "12", "message": {}}), 400),
        (json.dumps({"update_id": 1, "pad": "x" * (1024 * 1024)}), 413),
    ],
)
def test_unreadable_bodies_are_refused_with_4xx(post_update, fake_telegram, queues, body, status):
    assert post_update(body).status_code == status
    assert RawUpdate.objects.count() == 0


def mutilated(update: dict[str, Any], *path: str) -> dict[str, Any]:
    update = copy.deepcopy(update)
    target = update
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return update


@pytest.mark.parametrize(
    "path", [("message", "chat"), ("message", "from"), ("message", "message_id"), ("message", "chat", "id")]
)
def test_missing_fields_are_answered_200_kept_and_marked_failed(post_update, fake_telegram, queues, path):
    response = post_update(mutilated(fixture("telegram", "message__text"), *path))
    assert response.status_code == 200  # Telegram would retry anything else forever
    raw = RawUpdate.objects.get()
    assert raw.state in (RawUpdateState.FAILED, RawUpdateState.IGNORED)
    assert Message.objects.count() == 0


def test_text_over_the_limit_is_stored_split_in_order_and_nothing_is_lost(post_update, fake_telegram, queues):
    update = fixture("telegram", "message__text")
    text = ("слово " * 700) + "я" * 4097  # 4,200 characters of words, then one unbroken run
    update["message"]["text"] = text
    assert post_update(update).status_code == 200
    assert post_update(update).status_code == 200  # a retry stores nothing twice
    parts = shopper_messages()
    assert len(parts) == 3
    assert "".join(m.text for m in parts) == text
    assert all(len(m.text) <= 4096 for m in parts)
    assert parts[0].text.endswith("слово ")  # cut between words, not inside one
    assert [m.external_id for m in parts] == ["111222333:11", "111222333:11#2", "111222333:11#3"]
    assert len({m.conversation_id for m in parts}) == 1
    raw = RawUpdate.objects.get()
    assert raw.state == RawUpdateState.PROCESSED
    assert raw.payload["message"]["text"] == text


def test_shopper_text_is_stored_exactly(post_update, fake_telegram, queues):
    update = fixture("telegram", "message__text")
    update["message"]["text"] = "  <script>alert(1)</script> &amp; \n"
    post_update(update)
    assert shopper_messages()[0].text == "  <script>alert(1)</script> &amp; \n"
