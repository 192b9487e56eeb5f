"""The VK Callback API endpoint as VK and the operator see it, against a local VK API server."""

from __future__ import annotations

import copy
import json

import pytest

from chat.models import Contact, Message
from connectors import callbacks
from connectors.models import RawUpdate, RawUpdateState
from tests.connectors.conftest import VK_GROUP, fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


def shopper_messages() -> list[Message]:
    return list(Message.objects.filter(connector="vk", author_kind="shopper").order_by("id"))


def test_confirmation_answers_the_code_as_plain_text(post_event, fake_vk):
    response = post_event(fixture("vk", "confirmation"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"a1b2c3d4"
    assert RawUpdate.objects.count() == 0


def test_confirmation_for_another_community_is_refused(post_event, fake_vk):
    event = fixture("vk", "confirmation")
    event["group_id"] = 1
    assert post_event(event).status_code == 403


@pytest.mark.parametrize("secret", [None, "", "wrong", "vk-secre"])
def test_wrong_or_missing_secret_is_refused_and_nothing_is_stored(post_event, fake_vk, queues, secret):
    event = fixture("vk", "message_new__text")
    if secret is None:
        del event["secret"]
    else:
        event["secret"] = secret
    assert post_event(event).status_code == 403
    assert RawUpdate.objects.count() == 0
    assert Message.objects.count() == 0


def test_message_new_is_stored_with_the_name_from_users_get(post_event, fake_vk, queues):
    response = post_event(fixture("vk", "message_new__text"))
    assert (response.status_code, response.content) == (200, b"ok")
    [message] = shopper_messages()
    assert message.text == "Добрый день, есть ли размер M?"
    assert message.external_id == "1234567:21"
    contact = message.conversation.contact
    assert (contact.name, contact.language) == ("Ivan Petrov", "ru")
    [users_get] = fake_vk.calls("users.get")
    assert users_get.params["v"] == "5.199"  # the API version is passed explicitly
    raw = RawUpdate.objects.get()
    assert "secret" not in raw.payload


def test_retried_event_is_one_message(post_event, fake_vk, queues):
    event = fixture("vk", "message_new__text")
    assert post_event(event).content == b"ok"
    assert post_event(event, retry=1).content == b"ok"
    assert post_event(event, retry=2).content == b"ok"
    assert len(shopper_messages()) == 1
    assert RawUpdate.objects.count() == 1
    assert Contact.objects.count() == 1
    assert len(fake_vk.calls("users.get")) == 1


def test_photo_is_downloaded_in_its_largest_size(post_event, fake_vk, queues):
    fake_vk.files["/impg/large.jpg"] = b"\xff\xd8\xffvk-large"
    fake_vk.files["/impg/small.jpg"] = b"\xff\xd8\xffvk-small"
    event = json.loads(
        json.dumps(fixture("vk", "message_new__photo")).replace("https://sun9-1.userapi.com", fake_vk.url)
    )
    assert post_event(event).content == b"ok"
    [message] = shopper_messages()
    assert message.text == "Вот фото"
    [attachment] = message.attachments.all()
    assert attachment.file.read() == b"\xff\xd8\xffvk-large"
    assert [r.path for r in fake_vk.calls("file")] == ["/impg/large.jpg"]


def test_sticker_is_a_readable_placeholder(post_event, fake_vk, queues):
    post_event(fixture("vk", "message_new__sticker"))
    assert [m.text for m in shopper_messages()] == ["[sticker]"]


def test_start_button_payload_greets_and_opens_no_conversation(post_event, fake_vk, queues):
    assert post_event(fixture("vk", "message_new__keyboard_payload")).content == b"ok"
    assert shopper_messages() == []
    [sent] = fake_vk.sent()
    assert sent["peer_id"] == "1234567"
    assert sent["message"].startswith("Здравствуйте")


def test_callback_button_reaches_its_handler_and_is_answered(post_event, fake_vk, queues):
    presses: list[callbacks.ButtonPress] = []

    def rate(press: callbacks.ButtonPress) -> str:
        presses.append(press)
        return "Спасибо за оценку!"

    callbacks.register_callback_handler("rate", rate)
    assert post_event(fixture("vk", "message_event")).content == b"ok"
    [press] = presses
    assert (press.connector, press.prefix, press.rest, press.sender_id) == ("vk", "rate", "42:5", "1234567")
    [answer] = fake_vk.calls("messages.sendMessageEventAnswer")
    assert answer.params["event_id"] == "a1b2c3d4e5f6"
    assert json.loads(answer.params["event_data"]) == {"type": "show_snackbar", "text": "Спасибо за оценку!"}


def test_unhandled_callback_button_is_still_answered(post_event, fake_vk, queues):
    assert post_event(fixture("vk", "message_event")).content == b"ok"
    [answer] = fake_vk.calls("messages.sendMessageEventAnswer")
    assert "event_data" not in answer.params


def test_edit_updates_the_text_and_marks_it_edited(post_event, fake_vk, queues):
    post_event(fixture("vk", "message_new__text"))
    assert post_event(fixture("vk", "message_edit")).content == b"ok"
    [message] = shopper_messages()
    assert message.text == "Добрый день, есть ли размер L?"
    assert message.edited_at is not None


def test_unknown_event_type_is_answered_ok_and_ignored(post_event, fake_vk, queues):
    assert post_event(fixture("vk", "group_join")).content == b"ok"
    raw = RawUpdate.objects.get()
    assert (raw.kind, raw.state) == ("group_join", RawUpdateState.IGNORED)
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("{oops", 400),
        ('"just a string"', 400),
        (json.dumps({"group_id": int(VK_GROUP), "secret": "vk-secret"}), 400),
        (json.dumps({"type": "message_new", "group_id": int(VK_GROUP), "pad": "x" * (1024 * 1024)}), 413),
    ],
)
def test_unreadable_bodies_are_refused_with_4xx(post_event, fake_vk, queues, body, status):
    assert post_event(body).status_code == status
    assert RawUpdate.objects.count() == 0


def test_event_missing_its_object_is_answered_ok_kept_and_marked_failed(post_event, fake_vk, queues):
    event = fixture("vk", "message_new__text")
    del event["object"]
    assert post_event(event).content == b"ok"  # anything else makes VK retry and pause the server
    raw = RawUpdate.objects.get()
    assert raw.state == RawUpdateState.FAILED
    assert Message.objects.count() == 0


def test_text_over_the_limit_is_stored_split_in_order(post_event, fake_vk, queues):
    event = copy.deepcopy(fixture("vk", "message_new__text"))
    text = "ы" * 4097
    event["object"]["message"]["text"] = text
    assert post_event(event).content == b"ok"
    assert post_event(event).content == b"ok"  # VK's retry stores nothing twice
    parts = list(Message.objects.filter(connector="vk").order_by("id").values_list("text", flat=True))
    assert parts == ["ы" * 4096, "ы"]
    assert RawUpdate.objects.get().state == RawUpdateState.PROCESSED


def test_group_chat_message_is_ignored(post_event, fake_vk, queues):
    event = fixture("vk", "message_new__text")
    event["object"]["message"]["peer_id"] = 2000000005
    assert post_event(event).content == b"ok"
    assert RawUpdate.objects.get().state == RawUpdateState.IGNORED
    assert Message.objects.count() == 0
