"""A customer's personal data: a manager exports it and erases it, and nobody else may.

The customer is built through the real webhook (Telegram, the fake Bot API on loopback), the real
actions and the real questionnaire form; the export and the erasure go through the JSON API.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chat.actions import (
    do_close,
    do_operator_reply,
    do_rate_conversation,
    do_start_consultation,
    do_submit_questionnaire,
)
from chat.models import (
    Attachment,
    Contact,
    Conversation,
    DataAuditRecord,
    Identity,
    Message,
    Operator,
    Questionnaire,
    Rating,
    Reason,
)
from connectors.models import RawUpdate
from tests.connectors.conftest import (  # noqa: F401
    _isolated,
    _no_button_owners,
    fake_telegram,
    fixture,
    post_update,
    telegram_server,
)
from tests.connectors.helpers import online
from tests.fakes.telegram import FakeTelegram
from tests.feedback.test_consultation import answers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

SHOPPER = "111222333"  # the Telegram user of the fixtures
FIRST_TEXT = "Здравствуйте! Где мой заказ 1042?"
PHOTO_CAPTION = "Вот такое платье"
COMMENT = "Долго и невежливо"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Customer:
    contact: Contact
    operator: Operator
    chat: Conversation
    consultation: Conversation


@pytest.fixture
def customer(
    post_update: Callable[..., Any],  # noqa: F811
    fake_telegram: FakeTelegram,  # noqa: F811
    make_operator: Callable[..., Operator],
    reason: Reason,
) -> Customer:
    """A Telegram shopper with a closed, rated chat (text and a photo) and a stylist consultation."""
    operator = online(make_operator("Olga", skills=["general", "stylist"]))
    fake_telegram.add_file("AgACAgIAAxkBAAIBlarge", b"\xff\xd8\xffLarge-jpeg", "photos/file_1.jpg")
    assert post_update(fixture("telegram", "message__text")).status_code == 200
    assert post_update(fixture("telegram", "message__photo")).status_code == 200
    chat = Conversation.objects.get(connector="telegram", queue__slug="general")
    do_operator_reply(conversation_id=chat.pk, operator_id=operator.pk, text="Заказ 1042 приедет завтра.")
    do_close(conversation_id=chat.pk, operator_id=operator.pk, reason_id=reason.pk)
    do_rate_conversation(conversation_id=chat.pk, connector="telegram", sender_id=SHOPPER, stars=2, comment=COMMENT)
    consultation = do_start_consultation(connector="telegram", sender_id=SHOPPER, language="ru").conversation
    photo = SimpleUploadedFile("me.png", PNG, content_type="image/png")
    do_submit_questionnaire(conversation_id=consultation.pk, data=answers(), files={"photo": photo}, language="ru")
    do_close(conversation_id=consultation.pk, by="system")
    assert Attachment.objects.count() == 1
    return Customer(chat.contact, operator, chat, Conversation.objects.get(pk=consultation.pk))


def signed_in(operator: Operator) -> Client:
    client = Client()
    client.force_login(operator.user)
    return client


@pytest.fixture
def manager(make_operator: Callable[..., Operator]) -> Operator:
    return make_operator("Maria", is_manager=True)


def test_a_manager_downloads_everything_held_about_the_customer(customer: Customer, manager: Operator) -> None:
    response = signed_in(manager).get(f"/api/contacts/{customer.contact.pk}/export")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="contact-{customer.contact.pk}.json"'
    data = json.loads(response.content)
    assert [(i["connector"], i["external_id"]) for i in data["identities"]] == [("telegram", SHOPPER)]
    chat, consultation = data["conversations"]
    texts = [m["text"] for m in chat["messages"]]
    assert FIRST_TEXT in texts
    assert PHOTO_CAPTION in texts
    assert "Заказ 1042 приедет завтра." in texts
    assert [a["content_type"] for m in chat["messages"] for a in m["attachments"]] == ["image/jpeg"]
    assert chat["rating"]["stars"] == 2
    assert chat["rating"]["comment"] == COMMENT
    assert consultation["questionnaire"]["answers"]["colours"] == "navy, beige"
    assert consultation["questionnaire"]["photo"] is True

    [record] = DataAuditRecord.objects.all()
    assert (record.kind, record.contact_id, record.actor_id) == ("export", customer.contact.pk, manager.user_id)
    assert record.actor_name == manager.user.username
    assert record.summary["conversations"] == [customer.chat.pk, customer.consultation.pk]


def test_erasure_removes_texts_files_comments_answers_and_identities_and_keeps_the_counts(
    customer: Customer, manager: Operator
) -> None:
    attachment_file = Attachment.objects.get().file.name
    photo_file = Questionnaire.objects.get().photo.name
    assert attachment_file and photo_file  # both stored (and so typed str from here on)
    assert default_storage.exists(attachment_file)
    assert default_storage.exists(photo_file)
    assert RawUpdate.objects.filter(connector="telegram").count() == 2
    messages_before = Message.objects.count()

    response = signed_in(manager).post(f"/api/contacts/{customer.contact.pk}/erase")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["kind"], body["actor_name"], body["contact_id"]) == (
        "erase",
        manager.user.username,
        customer.contact.pk,
    )

    assert Message.objects.count() == messages_before, "the metrics keep counting the messages"
    assert set(Message.objects.values_list("text", flat=True)) == {""}
    assert not Attachment.objects.exists()
    assert not default_storage.exists(attachment_file)
    assert not default_storage.exists(photo_file)
    rating = Rating.objects.get()
    assert (rating.stars, rating.comment) == (2, "")
    questionnaire = Questionnaire.objects.get()
    assert (questionnaire.answers, questionnaire.photo.name) == ({}, "")
    identity = Identity.objects.get()
    assert identity.external_id.startswith("erased-")
    assert identity.details == {}
    contact = Contact.objects.get(pk=customer.contact.pk)
    assert (contact.name, contact.email, contact.phone, contact.customer_id) == ("", "", "", "")
    assert contact.erased_at is not None
    assert not RawUpdate.objects.exists(), "the raw payloads quoted the shopper too"
    assert set(Conversation.objects.values_list("erased_at", flat=True)) != {None}

    [record] = DataAuditRecord.objects.filter(kind="erase")
    assert record.actor_id == manager.user_id
    assert record.summary["conversations"] == [customer.chat.pk, customer.consultation.pk]
    assert record.summary["attachments"] == 1
    assert record.summary["identities"] == 1

    # Nothing of it shows in the workspace any more.
    card = signed_in(manager).get(f"/api/contacts/{customer.contact.pk}").json()
    assert card["name"] == ""
    assert card["erased_at"] is not None
    assert [c["last_message"] for c in card["conversations"]] == ["", ""]
    page = signed_in(manager).get(f"/api/conversations/{customer.chat.pk}").json()
    assert FIRST_TEXT not in json.dumps(page, ensure_ascii=False)


def test_after_erasure_the_shopper_writing_again_is_a_new_customer(
    customer: Customer,
    manager: Operator,
    post_update: Callable[..., Any],  # noqa: F811
) -> None:
    assert signed_in(manager).post(f"/api/contacts/{customer.contact.pk}/erase").status_code == 200
    update = fixture("telegram", "message__text")
    update["update_id"] += 100
    update["message"]["message_id"] += 100
    assert post_update(update).status_code == 200
    new = Conversation.objects.exclude(contact=customer.contact).get()
    assert new.contact.identities.get().external_id == SHOPPER
    assert list(Conversation.objects.filter(contact=new.contact)) == [new]


def test_erasure_is_refused_while_a_chat_is_open_and_nothing_changes(
    customer: Customer,
    manager: Operator,
    post_update: Callable[..., Any],  # noqa: F811
) -> None:
    update = fixture("telegram", "message__text")
    update["update_id"] += 200
    update["message"]["message_id"] += 200
    assert post_update(update).status_code == 200  # a new, open chat
    response = signed_in(manager).post(f"/api/contacts/{customer.contact.pk}/erase")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "wrong_state"
    assert FIRST_TEXT in Message.objects.values_list("text", flat=True)
    assert Attachment.objects.count() == 1
    assert not DataAuditRecord.objects.exists()


def test_operators_and_anonymous_visitors_can_neither_export_nor_erase(customer: Customer) -> None:
    """Not even the operator who held the chat: personal data leaves only through a manager."""
    path = f"/api/contacts/{customer.contact.pk}"
    operator = signed_in(customer.operator)
    assert operator.get(f"{path}/export").status_code == 403
    assert operator.post(f"{path}/erase").status_code == 403
    assert Client().get(f"{path}/export").status_code == 401
    assert Client().post(f"{path}/erase").status_code in (401, 403)
    assert FIRST_TEXT in Message.objects.values_list("text", flat=True)
    assert not DataAuditRecord.objects.exists()


def test_an_unknown_contact_is_not_found(manager: Operator, tmp_path: Path) -> None:
    client = signed_in(manager)
    assert client.get("/api/contacts/999999/export").status_code == 404
    assert client.post("/api/contacts/999999/erase").status_code == 404
    assert not DataAuditRecord.objects.exists()
