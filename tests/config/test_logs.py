"""Logs at INFO hold no token, password or message text, whichever part of Switchboard wrote them.

The flows run through the real webhook, socket and login view; the log is what the configured
console handler (``settings.LOGGING``, with its redaction filter) writes.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client

from chat.actions import do_operator_reply
from chat.models import Operator
from config.security import RedactSecretsFilter
from tests.connectors.conftest import (  # noqa: F401
    _isolated,
    _no_button_owners,
    fake_telegram,
    fixture,
    post_update,
    telegram_server,
)
from tests.connectors.helpers import telegram_chat
from tests.fakes.telegram import FakeTelegram
from tests.widget.conftest import widget_client  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

WIDGET_TEXT = "Мой номер карты 4111 1111 1111 1111, верните деньги"
REPLY_TEXT = "Возврат оформлен на карту, ждите три дня"
PASSWORD = "pw-123456"


@pytest.fixture
def console_log() -> Iterator[io.StringIO]:
    """What the project's console handler writes during the test (its stream swapped for a buffer)."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and any(isinstance(f, RedactSecretsFilter) for f in h.filters)
    ]
    assert handlers, "the root logger has no console handler with the redaction filter"
    buffer = io.StringIO()
    previous = [h.setStream(buffer) for h in handlers]
    try:
        yield buffer
    finally:
        for handler, stream in zip(handlers, previous, strict=True):
            handler.setStream(stream)


SHOPPER_TEXT = fixture("telegram", "message__text")["message"]["text"]


def assert_nothing_secret(log: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret
        assert secret not in log


def test_a_telegram_chat_and_a_login_leave_no_token_password_or_text_in_the_log(
    console_log: io.StringIO,
    post_update: Callable[..., Any],  # noqa: F811
    fake_telegram: FakeTelegram,  # noqa: F811
    make_operator: Callable[..., Operator],
) -> None:
    assert logging.getLogger().getEffectiveLevel() <= logging.INFO
    # The webhook with its secret, then an operator's reply sent with the bot's token.
    conversation, operator = telegram_chat(post_update, make_operator)
    do_operator_reply(conversation_id=conversation.pk, operator_id=operator.pk, text=REPLY_TEXT)
    assert [m["text"] for m in fake_telegram.delivered] == [REPLY_TEXT]
    assert post_update(fixture("telegram", "message__text")).status_code == 200  # a retry, logged as repeated

    # A wrong password, then the right one.
    client = Client()
    client.post("/workspace/login/", {"username": operator.user.username, "password": "wrong-" + PASSWORD})
    response = client.post("/workspace/login/", {"username": operator.user.username, "password": PASSWORD})
    assert response.status_code == 302

    log = console_log.getvalue()
    assert "Repeated telegram update" in log, "the flows did log at INFO"
    assert_nothing_secret(
        log, settings.TELEGRAM_BOT_TOKEN, settings.TELEGRAM_WEBHOOK_SECRET, PASSWORD, REPLY_TEXT, SHOPPER_TEXT
    )


async def test_a_widget_chat_leaves_no_visitor_token_or_text_in_the_log(
    console_log: io.StringIO,
    widget_client: Callable[..., Any],  # noqa: F811
    queues: Any,
) -> None:
    session = await database_sync_to_async(Client().post)(
        "/connectors/widget/session/", data="{}", content_type="application/json"
    )
    token = session.json()["token"]
    shopper = await widget_client()
    await shopper.hello(token)
    await shopper.send({"type": "message", "text": WIDGET_TEXT, "client_id": "c-1"})
    await shopper.expect("message")
    assert_nothing_secret(console_log.getvalue(), token, WIDGET_TEXT)


def test_a_token_in_an_error_message_is_redacted(console_log: io.StringIO, settings: Any) -> None:
    """Libraries put request URLs in their exceptions; a Bot API URL carries the token."""
    settings.TELEGRAM_BOT_TOKEN = "987654:AAE-secret-bot-token"
    settings.VK_GROUP_TOKEN = "vk1.a.secret-group-token"
    logger = logging.getLogger("connectors.telegram.inbound")
    logger.warning("getFile failed: %s", "404 for url https://api.telegram.org/bot987654:AAE-secret-bot-token/getFile")
    logger.warning("download failed: https://files.example/doc?access_token=abc123&x=1")
    try:
        raise RuntimeError("VK said no to vk1.a.secret-group-token")
    except RuntimeError:
        logger.exception("VK failed")
    log = console_log.getvalue()
    assert "getFile failed" in log
    assert "VK failed" in log
    assert "RuntimeError" in log
    for secret in ("987654:AAE-secret-bot-token", "vk1.a.secret-group-token", "abc123"):
        assert secret not in log
