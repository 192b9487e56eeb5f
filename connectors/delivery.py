"""Operator replies to Telegram and VK: one Celery task per message, retried, never doubled.

- 429 / VK error 6 and 5xx / network errors: retried with exponential backoff; a ``retry_after``
  from Telegram is honoured as the delay. The operator sees "retrying in N s" meanwhile.
- 403 (the shopper blocked the bot) and other 4xx: failed at once with the reason, no retries;
  the workspace offers a retry button (``do_retry_delivery``).
- A lock per message keeps two workers from sending the same message at once, and a message no
  longer ``pending`` is never sent again. VK's ``random_id`` is derived from our message id, so
  even a send whose answer was lost does not double on VK's side.
- A worker killed -9 mid-send: the task is acknowledged late, so the broker hands it out again after
  ``CELERY_VISIBILITY_TIMEOUT``; the dead worker's lock (Redis, renewed while held) expires within
  ``LOCK_SECONDS``, and a task that finds the lock taken tries again later instead of giving up.
  Telegram has no idempotency key: a worker killed after Telegram accepted the message but before
  we recorded it sends it twice (a window of milliseconds; docs/reliability.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import requests
from celery import shared_task
from celery.app.task import Task
from django.conf import settings
from django.core.cache import cache
from telegram import error as tg_error
from vk_api.exceptions import ApiError, ApiHttpError, VkApiError

from chat.actions import do_mark_delivery
from chat.models import Attachment, Connector, DeliveryState, Identity, Message
from chat.periodic import redis_lock
from connectors import ratelimit
from connectors.telegram import client as telegram
from connectors.vk import client as vk

logger = logging.getLogger(__name__)

MAX_RETRIES = 6
MAX_BACKOFF_SECONDS = 300.0
# Longer than one attempt never matters (the lock is renewed while held); it bounds how long a dead
# worker's lock delays the resend.
LOCK_SECONDS = 10
# Sent as photos (shown in the chat); every other file, GIFs included, goes as a document.
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


class Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class Permanent(Exception):
    pass


def backoff_seconds(retries: int, retry_after: float | None) -> float:
    """The platform's ``retry_after`` when given, else 2, 4, 8 ... seconds (capped)."""
    if retry_after is not None and retry_after > 0:
        return float(retry_after)
    return min(2.0 ** (retries + 1), MAX_BACKOFF_SECONDS)


def _identity(message: Message) -> Identity:
    identity = (
        Identity.objects.filter(contact_id=message.conversation.contact_id, connector=message.connector)
        .order_by("-id")
        .first()
    )
    if identity is None:
        raise Permanent(f"The shopper has no {message.connector} identity to send to.")
    return identity


def send_telegram(message: Message) -> str:
    identity = _identity(message)
    chat_id = identity.details.get("chat_id") or identity.external_id
    try:
        ratelimit.acquire(ratelimit.telegram_windows(chat_id))
    except ratelimit.SlotTimeout as exc:
        raise Retryable("Sending limit reached", exc.wait) from exc
    try:
        sent_id = _send_telegram_content(chat_id, message)
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
    return f"{chat_id}:{sent_id}"


def _send_telegram_content(chat_id: int | str, message: Message) -> int:
    """The text, or each file with the text as the first one's caption (the text goes first on its
    own when it is longer than a caption may be)."""
    files = list(message.attachments.all())
    if not files:
        return telegram.send_text(chat_id, message.text)
    caption = message.text
    sent_id = 0
    if len(caption) > telegram.CAPTION_CHARS:
        sent_id = telegram.send_text(chat_id, caption)
        caption = ""
    for attachment in files:
        sent_id = telegram.send_file(
            chat_id,
            content=_read(attachment),
            name=attachment.name,
            as_photo=attachment.detected_type in PHOTO_TYPES,
            caption=caption,
        )
        caption = ""
    return sent_id


def _read(attachment: Attachment) -> bytes:
    try:
        with attachment.file.open("rb") as handle:
            return bytes(handle.read())
    except FileNotFoundError as exc:
        raise Permanent(f"The file {attachment.name} is no longer stored.") from exc


# VK errors worth another try: too many requests, internal server error, flood of the same call.
VK_RETRYABLE_CODES = {1, 6, 10}


def send_vk(message: Message) -> str:
    identity = _identity(message)
    peer_id = identity.details.get("peer_id") or identity.external_id
    try:
        uploaded = [
            vk.upload_file(
                peer_id,
                content=_read(attachment),
                name=attachment.name,
                as_photo=attachment.detected_type in PHOTO_TYPES,
            )
            for attachment in message.attachments.all()
        ]
        sent_id = vk.send_text(peer_id, message.text, random_id=vk.random_id_for(message.pk), attachments=uploaded)
    except ratelimit.SlotTimeout as exc:
        raise Retryable("Sending limit reached", exc.wait) from exc
    except ApiError as exc:
        text = f"VK error {exc.code}: {exc.error.get('error_msg', '')}"
        if exc.code in VK_RETRYABLE_CODES:
            raise Retryable(text) from exc
        raise Permanent(text) from exc
    except ApiHttpError as exc:
        status = exc.response.status_code
        if status >= 500 or status == 429:
            raise Retryable(f"VK unavailable: HTTP {status}") from exc
        raise Permanent(f"VK refused: HTTP {status}") from exc
    except (requests.RequestException, ValueError, VkApiError) as exc:
        raise Retryable(f"VK unavailable: {exc}") from exc
    return f"{peer_id}:{sent_id}"


SENDERS: dict[str, Callable[[Message], str]] = {Connector.TELEGRAM: send_telegram, Connector.VK: send_vk}


@contextmanager
def _sending(message_id: int) -> Iterator[bool]:
    """Whether this worker alone may send the message now. Redis when scaled out (renewed while
    held, so it outlives no dead worker by more than LOCK_SECONDS); the process' cache otherwise."""
    if settings.REDIS_URL:
        with redis_lock(f"delivering:{message_id}", expiry_seconds=LOCK_SECONDS) as held:
            yield held
        return
    key = f"connectors:delivering:{message_id}"
    if not cache.add(key, 1, timeout=LOCK_SECONDS):
        yield False
        return
    try:
        yield True
    finally:
        cache.delete(key)


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def deliver_message(self: Task, message_id: int) -> str:
    """Send one operator message to the shopper's connector and record the outcome."""
    with _sending(message_id) as held:
        if not held:
            if self.request.is_eager:  # the embedded default: the other sender is in this process
                return "busy"
            # Another worker is sending it, or died doing so: look again once its lock has expired.
            raise self.retry(countdown=LOCK_SECONDS, max_retries=None)
        return _deliver(self, message_id)


def _deliver(self: Task, message_id: int) -> str:
    message = Message.objects.select_related("conversation").filter(pk=message_id).first()
    if message is None or message.delivery_state != DeliveryState.PENDING:
        return "skipped"
    sender = SENDERS.get(message.connector)
    if sender is None:
        return "no sender"
    try:
        external_id = sender(message)
    except Permanent as exc:
        do_mark_delivery(message_id=message_id, state=DeliveryState.FAILED, error=str(exc), attempt=True)
        return "failed"
    except Retryable as exc:
        attempts = self.request.retries + 1
        if self.request.retries >= MAX_RETRIES:
            error = f"{exc.reason}; gave up after {attempts} attempts"
            do_mark_delivery(message_id=message_id, state=DeliveryState.FAILED, error=error, attempt=True)
            return "failed"
        delay = backoff_seconds(self.request.retries, exc.retry_after)
        error = f"{exc.reason}; retrying in {delay:.0f} s"
        logger.info("Message %s: %s", message_id, error)
        do_mark_delivery(message_id=message_id, state=DeliveryState.PENDING, error=error, attempt=True)
        raise self.retry(countdown=delay, exc=exc) from exc
    do_mark_delivery(message_id=message_id, state=DeliveryState.SENT, external_id=external_id, attempt=True)
    return "sent"


def enqueue(message_id: int) -> None:
    """The sender ``chat.outbound`` calls after the reply commits."""
    deliver_message.delay(message_id)
