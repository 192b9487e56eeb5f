"""What goes out to a Telegram shopper: operators' replies and proactive notices (retried by
``connectors.delivery``) and
the bot's own messages (greetings, rating prompts, answers to buttons), which are never retried."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import requests
from telegram import error as tg_error

from chat.models import Message
from connectors import ratelimit
from connectors.delivery import (
    PHOTO_TYPES,
    BotNotice,
    Permanent,
    Retryable,
    notice_recipient,
    read_attachment,
    recipient,
)
from connectors.telegram import client

logger = logging.getLogger(__name__)


def send_message(message: Message) -> str:
    """One operator reply; the platform's errors sorted into retry or give up."""
    identity = recipient(message)
    chat_id = identity.details.get("chat_id") or identity.external_id
    with _sorted_errors():
        ratelimit.acquire(ratelimit.telegram_windows(chat_id))
        sent_id = _send_content(chat_id, message)
    return f"{chat_id}:{sent_id}"


def send_notice(notice: BotNotice) -> str:
    """One proactive notice with its buttons, rate-limited and its errors sorted like a reply's."""
    identity = notice_recipient(notice)
    chat_id = identity.details.get("chat_id") or identity.external_id
    with _sorted_errors():
        ratelimit.acquire(ratelimit.telegram_windows(chat_id))
        sent_id = client.send_text(chat_id, notice.text, reply_markup=notice.keyboard)
    return f"{chat_id}:{sent_id}"


@contextmanager
def _sorted_errors() -> Iterator[None]:
    """Telegram's errors as Retryable (429, 5xx, network, our own rate limit) or Permanent (403, 400)."""
    try:
        yield
    except ratelimit.SlotTimeout as exc:
        raise Retryable("Sending limit reached", exc.wait) from exc
    except tg_error.RetryAfter as exc:
        # PTB 22 keeps a timedelta; its public int form is deprecated and warns on every read.
        wait = getattr(exc, "_retry_after", None)
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(exc.retry_after)  # type: ignore[arg-type]
        raise Retryable("Telegram asked to slow down", seconds) from exc
    except tg_error.Forbidden as exc:
        raise Permanent(f"Telegram refused: {exc.message} (the shopper may have blocked the bot)") from exc
    except (tg_error.BadRequest, tg_error.InvalidToken) as exc:
        raise Permanent(f"Telegram refused: {exc.message}") from exc
    except tg_error.NetworkError as exc:
        raise Retryable(f"Telegram unavailable: {exc.message}") from exc


def _send_content(chat_id: int | str, message: Message) -> int:
    """The text, or each file with the text as the first one's caption (the text goes first on its
    own when it is longer than a caption may be)."""
    files = list(message.attachments.all())
    if not files:
        return client.send_text(chat_id, message.text)
    caption = message.text
    sent_id = 0
    if len(caption) > client.CAPTION_CHARS:
        sent_id = client.send_text(chat_id, caption)
        caption = ""
    for attachment in files:
        sent_id = client.send_file(
            chat_id,
            content=read_attachment(attachment),
            name=attachment.name,
            as_photo=attachment.detected_type in PHOTO_TYPES,
            caption=caption,
        )
        caption = ""
    return sent_id


def send_bot_message(chat_id: int | str, text: str, keyboard: dict[str, Any] | None = None) -> None:
    """One bot message outside the operator's transcript; failures are logged, never retried."""
    try:
        ratelimit.acquire(ratelimit.telegram_windows(chat_id))
        client.send_text(chat_id, text, reply_markup=keyboard)
    except (tg_error.TelegramError, requests.RequestException, ratelimit.SlotTimeout) as exc:
        logger.warning("Could not send to telegram %s: %s", chat_id, exc)
