"""Operator replies to an offline widget conversation reach the shopper at the contact they left.

The offline form keeps a name, an email or a phone and the page it was sent from. A reply in such
a conversation is emailed (plain text, the shopper's language, the reply exactly as written, and a
link back to that page) by a Celery task started after the reply commits:

- with an email: ``sent`` once the mail server accepted it, ``failed`` with the server's reason
  otherwise (the workspace's retry button sends it again);
- with only a phone: ``sent`` (the widget shows it if the shopper comes back) and the delivery error
  says the shopper must be called on that number;
- a live widget conversation registers no delivery at all: the WebSocket is the delivery.
"""

from __future__ import annotations

import logging
import smtplib
from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.utils.translation import gettext_noop

from chat.actions import do_mark_delivery
from chat.models import Connector, Conversation, DeliveryState, Identity, Message
from chat.texts import in_language

logger = logging.getLogger(__name__)

LOCK_SECONDS = 120
PAGE_URL_KEY = "page_url"
PAGE_URL_MAX_CHARS = 1000

SUBJECT = gettext_noop("Reply to your message")
GREETING = gettext_noop("Hello, {name}!")
ANONYMOUS_GREETING = gettext_noop("Hello!")
INTRO = gettext_noop("You wrote to us in the chat on our site. {operator} replied:")
DEFAULT_OPERATOR = gettext_noop("Our operator")
LINK = gettext_noop("To continue the conversation, open the chat on this page:")
CALL_THE_SHOPPER = "No email was left: call the shopper on {phone}."


def applies(conversation: Conversation) -> bool:
    """Only offline conversations need a sender; live widget replies are sent by the WebSocket."""
    return conversation.is_offline


def clean_page_url(value: object) -> str:
    """The shop page an offline form came from, if it is a plain http(s) address; else nothing."""
    if not isinstance(value, str) or len(value) > PAGE_URL_MAX_CHARS:
        return ""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return parts.geturl()


def _language(conversation: Conversation) -> str:
    language = (conversation.language or conversation.contact.language or "").lower()
    return "ru" if language.startswith("ru") else "en"


def _page_url(conversation: Conversation) -> str:
    details = (
        Identity.objects.filter(contact_id=conversation.contact_id, connector=Connector.WIDGET)
        .order_by("-id")
        .values_list("details", flat=True)
    )
    for detail in details:
        url = clean_page_url((detail or {}).get(PAGE_URL_KEY))
        if url:
            return url
    return ""


def compose(message: Message) -> EmailMessage:
    """The plain-text email carrying one operator reply."""
    conversation = message.conversation
    contact = conversation.contact
    language = _language(conversation)
    operator = message.author.display_name if message.author else in_language(DEFAULT_OPERATOR, language)
    if contact.name:
        greeting = in_language(GREETING, language, name=contact.name)
    else:
        greeting = in_language(ANONYMOUS_GREETING, language)
    lines = [greeting, "", in_language(INTRO, language, operator=operator), "", message.text]
    page_url = _page_url(conversation)
    if page_url:
        lines += ["", in_language(LINK, language), page_url]
    return EmailMessage(
        subject=in_language(SUBJECT, language),
        body="\n".join(lines) + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[contact.email],
    )


@shared_task(acks_late=True)
def send_offline_reply(message_id: int) -> str:
    """Email one reply to the address the offline form left, and record the outcome."""
    lock = f"connectors:widget-email:{message_id}"
    if not cache.add(lock, 1, timeout=LOCK_SECONDS):
        return "busy"
    try:
        message = (
            Message.objects.select_related("conversation__contact", "author")
            .filter(pk=message_id, delivery_state=DeliveryState.PENDING)
            .first()
        )
        if message is None:
            return "skipped"
        contact = message.conversation.contact
        if not contact.email:
            note = CALL_THE_SHOPPER.format(phone=contact.phone) if contact.phone else ""
            do_mark_delivery(message_id=message_id, state=DeliveryState.SENT, error=note)
            return "widget only"
        try:
            compose(message).send()
        except (smtplib.SMTPException, OSError) as exc:
            reason = f"The email to {contact.email} was not sent: {exc}"
            logger.warning("Message %s: %s", message_id, reason)
            do_mark_delivery(message_id=message_id, state=DeliveryState.FAILED, error=reason, attempt=True)
            return "failed"
        do_mark_delivery(
            message_id=message_id, state=DeliveryState.SENT, external_id=f"email:{contact.email}"[:128], attempt=True
        )
        return "sent"
    finally:
        cache.delete(lock)


def enqueue(message_id: int) -> None:
    """The ``deliver`` of the widget's registry entry (``chat.registry``), after the reply commits."""
    send_offline_reply.delay(message_id)
