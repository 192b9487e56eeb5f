"""Replies to the offline form reach the shopper by email; live widget chats need no email."""

from __future__ import annotations

import json
import smtplib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client

from chat.actions import do_close, do_operator_reply, do_retry_delivery, do_set_operator_status
from chat.models import Conversation, Message, Operator, Reason
from connectors.widget.signing import issue_token
from tests.connectors.helpers import delivery_seen_by

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

PAGE = "https://shop.example/catalog/boots?size=38"
REPLY = 'Yes, we ship to Kazan <b>tomorrow</b>.\n  Delivery is "free" from 3,000 ₽ & up.'


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses every recipient."""

    def send_messages(self, email_messages: Any) -> int:
        raise smtplib.SMTPRecipientsRefused({"ivan@example.com": (550, b"Mailbox unavailable")})


def offline_form(**fields: str) -> Conversation:
    form = {"token": issue_token("visitor-offline"), "name": "Ivan", "text": "Do you ship to Kazan?", **fields}
    answer = Client().post("/connectors/widget/offline/", data=json.dumps(form), content_type="application/json")
    assert answer.status_code == 201, answer.content
    return Conversation.objects.get(pk=answer.json()["conversation_id"])


def operator_replies(make_operator: Callable[..., Operator], text: str = REPLY) -> tuple[Message, Operator]:
    """An operator comes online, gets the waiting offline chat and answers it."""
    operator = make_operator("Olga")
    do_set_operator_status(operator_id=operator.pk, status="online")
    conversation = Conversation.objects.get(is_offline=True)
    assert conversation.operator_id == operator.pk
    message = do_operator_reply(conversation_id=conversation.pk, operator_id=operator.pk, text=text)
    message.refresh_from_db()
    return message, operator


@pytest.mark.parametrize(
    ("language", "subject", "intro", "link"),
    [
        ("ru", "Ответ на ваше сообщение", "Olga отвечает:", "Продолжить разговор"),
        ("en", "Reply to your message", "Olga replied:", "To continue the conversation"),
    ],
)
def test_a_reply_to_the_offline_form_is_emailed_exactly_in_the_shoppers_language(
    make_operator: Callable[..., Operator],
    mailoutbox: list[EmailMessage],
    language: str,
    subject: str,
    intro: str,
    link: str,
) -> None:
    offline_form(email="ivan@example.com", language=language, page=PAGE)

    message, operator = operator_replies(make_operator)

    [email] = mailoutbox
    assert (email.to, email.subject) == (["ivan@example.com"], subject)
    assert email.content_subtype == "plain"
    assert f"\n{REPLY}\n" in email.body
    assert intro in email.body
    assert f"{link}" in email.body and email.body.rstrip().endswith(PAGE)
    assert message.delivery_state == "sent"
    assert delivery_seen_by(operator, message) == [("sent", "")]


def test_a_refused_email_is_failed_with_the_reason_and_a_retry_sends_it(
    make_operator: Callable[..., Operator], mailoutbox: list[EmailMessage], settings: Any
) -> None:
    offline_form(email="ivan@example.com", page=PAGE)
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"

    message, operator = operator_replies(make_operator)

    assert message.delivery_state == "failed"
    assert "ivan@example.com" in message.delivery_error and "Mailbox unavailable" in message.delivery_error
    assert mailoutbox == []

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    do_retry_delivery(message_id=message.pk, operator_id=operator.pk)
    message.refresh_from_db()
    assert message.delivery_state == "sent"
    assert [REPLY in email.body for email in mailoutbox] == [True]


def test_with_only_a_phone_the_operator_is_told_to_call(
    make_operator: Callable[..., Operator], mailoutbox: list[EmailMessage]
) -> None:
    offline_form(phone="+7 900 123-45-67")

    message, operator = operator_replies(make_operator)

    assert mailoutbox == []
    assert message.delivery_state == "sent"
    assert "+7 900 123-45-67" in message.delivery_error
    assert delivery_seen_by(operator, message) == [("sent", message.delivery_error)]


def test_a_live_widget_chat_is_not_emailed_even_when_the_email_is_known(
    make_operator: Callable[..., Operator],
    mailoutbox: list[EmailMessage],
    shopper_writes: Callable[..., Any],
    reason: Reason,
) -> None:
    offline_form(email="ivan@example.com")  # the contact's email is known from an earlier form
    operator = make_operator("Olga")
    do_set_operator_status(operator_id=operator.pk, status="online")
    do_close(conversation_id=Conversation.objects.get().pk, by="operator", operator_id=operator.pk, reason_id=reason.pk)
    live = shopper_writes("visitor-offline", "I am on the site now", new_conversation=True).conversation
    assert not live.is_offline

    message = do_operator_reply(conversation_id=live.pk, operator_id=operator.pk, text="Hello again!")

    assert message.delivery_state == "sent"
    assert mailoutbox == []


def test_a_page_address_that_is_not_http_is_not_linked(
    make_operator: Callable[..., Operator], mailoutbox: list[EmailMessage]
) -> None:
    offline_form(email="ivan@example.com", page="javascript:alert(1)")

    operator_replies(make_operator)

    [email] = mailoutbox
    assert "javascript" not in email.body
    assert "To continue the conversation" not in email.body
