"""Operators send files: a photo or document on Telegram and VK, a thumbnail or download in the widget."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chat.actions import InboundMessage, do_receive_inbound, do_set_operator_status
from chat.models import Message, Operator
from chat.payloads import message_payload
from tests.connectors.helpers import telegram_chat, vk_chat
from tests.connectors.test_attachments import EVIL_HTML, PNG
from tests.fakes.telegram import FakeTelegram
from tests.fakes.vk import FakeVk

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def operator_sends(operator: Operator, conversation_id: int, content: bytes, name: str, text: str = "") -> Any:
    client = Client()
    client.force_login(operator.user)
    return client.post(
        f"/api/conversations/{conversation_id}/attachments",
        data={"file": SimpleUploadedFile(name, content, content_type="application/octet-stream"), "text": text},
    )


def test_a_photo_with_a_caption_and_a_pdf_reach_telegram(
    post_update: Callable[..., Any], fake_telegram: FakeTelegram, make_operator: Callable[..., Operator]
) -> None:
    conversation, operator = telegram_chat(post_update, make_operator)
    photo = operator_sends(operator, conversation.pk, PNG, "label.png", text="Here is the return label")
    assert photo.status_code == 201, photo.content
    document = operator_sends(operator, conversation.pk, PDF, "invoice.pdf")
    assert document.status_code == 201
    assert fake_telegram.uploaded == [("photo", PNG, "Here is the return label"), ("document", PDF, "")]
    for answer in (photo, document):
        message = Message.objects.get(pk=answer.json()["id"])
        assert message.delivery_state == "sent"
    assert photo.json()["attachments"][0]["inline"] is True


def test_a_caption_longer_than_telegram_allows_goes_first_as_text(
    post_update: Callable[..., Any], fake_telegram: FakeTelegram, make_operator: Callable[..., Operator]
) -> None:
    conversation, operator = telegram_chat(post_update, make_operator)
    long_text = "Подробная инструкция. " * 60
    assert operator_sends(operator, conversation.pk, PNG, "steps.png", text=long_text).status_code == 201
    assert fake_telegram.sent_texts() == [long_text]
    assert fake_telegram.uploaded == [("photo", PNG, "")]


def test_a_photo_and_a_document_reach_vk_in_one_message_each(
    post_event: Callable[..., Any], fake_vk: FakeVk, make_operator: Callable[..., Operator]
) -> None:
    conversation, operator = vk_chat(post_event, make_operator)
    sent = operator_sends(operator, conversation.pk, PNG, "label.png", text="Ярлык для возврата")
    assert Message.objects.get(pk=sent.json()["id"]).delivery_error == ""
    assert operator_sends(operator, conversation.pk, PDF, "invoice.pdf").status_code == 201
    photo_send, doc_send = fake_vk.sent()[-2:]
    assert photo_send["message"] == "Ярлык для возврата"
    assert fake_vk.uploads[photo_send["attachment"]] == PNG
    assert doc_send["attachment"].startswith("doc-1_")
    assert fake_vk.uploads[doc_send["attachment"]] == PDF


def test_the_widget_shopper_gets_the_file_through_a_signed_link(
    make_operator: Callable[..., Operator], queues: Any
) -> None:
    operator = make_operator("Anna")
    do_set_operator_status(operator_id=operator.pk, status="online")
    received = do_receive_inbound(InboundMessage(connector="widget", sender_id="v-1", text="label please"))
    answer = operator_sends(operator, received.conversation.pk, PNG, "label.png")
    assert answer.status_code == 201
    message = Message.objects.get(pk=answer.json()["id"])
    shopper_copy = message_payload(message, for_shopper=True)["attachments"][0]
    assert shopper_copy["url"].startswith("/files/shopper/")
    assert Client().get(shopper_copy["url"]).status_code == 200


def test_a_file_the_limits_refuse_is_not_sent_and_nothing_is_stored(
    post_update: Callable[..., Any], fake_telegram: FakeTelegram, make_operator: Callable[..., Operator], settings: Any
) -> None:
    conversation, operator = telegram_chat(post_update, make_operator)
    before = Message.objects.count()
    refused = operator_sends(operator, conversation.pk, EVIL_HTML, "page.html")
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_input")
    assert "not allowed" in refused.json()["error"]["message"]
    settings.SWITCHBOARD_ATTACHMENT_MAX_BYTES = 10
    assert operator_sends(operator, conversation.pk, PNG, "big.png").status_code == 400
    assert Message.objects.count() == before
    assert fake_telegram.uploaded == []


def test_only_the_chats_operator_may_send_a_file(
    post_update: Callable[..., Any], fake_telegram: FakeTelegram, make_operator: Callable[..., Operator]
) -> None:
    conversation, _ = telegram_chat(post_update, make_operator)
    stranger = make_operator("Boris")
    assert operator_sends(stranger, conversation.pk, PNG, "x.png").status_code in (403, 404)
    assert fake_telegram.uploaded == []
