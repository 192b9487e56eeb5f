"""Operator replies (and proactive notices) to Telegram and VK: one Celery task per message, retried,
never doubled.

The plumbing both share (:func:`deliver_once`: the lock, the backoff, the outcome; a notice is a
:class:`BotNotice` with its own record, sent by ``preshot.notices.deliver_notice``); each
connector's ``outbound.send_message`` (``send_notice``) does the platform's call and sorts its
errors into :class:`Retryable` and :class:`Permanent`.

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
from dataclasses import dataclass
from typing import Any

from celery import shared_task
from celery.app.task import Task
from django.conf import settings
from django.core.cache import cache

from chat.actions import do_mark_delivery
from chat.models import Attachment, DeliveryState, Identity, Message
from chat.periodic import redis_lock

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


def read_attachment(attachment: Attachment) -> bytes:
    """An operator's file as bytes to upload; one gone from storage fails the message for good."""
    try:
        with attachment.file.open("rb") as handle:
            return bytes(handle.read())
    except FileNotFoundError as exc:
        raise Permanent(f"The file {attachment.name} is no longer stored.") from exc


def recipient(message: Message) -> Identity:
    """The shopper's newest identity on the message's connector: where the reply goes."""
    identity = (
        Identity.objects.filter(contact_id=message.conversation.contact_id, connector=message.connector)
        .order_by("-id")
        .first()
    )
    if identity is None:
        raise Permanent(f"The shopper has no {message.connector} identity to send to.")
    return identity


# ``send(message)`` hands one message to the platform and returns its external id, raising
# Retryable or Permanent; each connector registers its own (connectors/<name>/outbound.py).
Send = Callable[[Message], str]
SENDERS: dict[str, Send] = {}


def register_sender(connector: str, send: Send) -> None:
    SENDERS[connector] = send


@contextmanager
def _sending(lock_key: str) -> Iterator[bool]:
    """Whether this worker alone may send the item now. Redis when scaled out (renewed while
    held, so it outlives no dead worker by more than LOCK_SECONDS); the process' cache otherwise."""
    if settings.REDIS_URL:
        with redis_lock(f"delivering:{lock_key}", expiry_seconds=LOCK_SECONDS) as held:
            yield held
        return
    key = f"connectors:delivering:{lock_key}"
    if not cache.add(key, 1, timeout=LOCK_SECONDS):
        yield False
        return
    try:
        yield True
    finally:
        cache.delete(key)


@dataclass(frozen=True)
class BotNotice:
    """A bot message that is no chat's reply (a proactive notice about an order): its own record,
    the same delivery. ``key`` names it for the lock and VK's ``random_id``."""

    key: int
    contact_id: int
    connector: str
    text: str
    keyboard: dict[str, Any] | None


# ``send_notice(notice)``: as ``Send``, for a BotNotice (connectors/<name>/outbound.py).
SendNotice = Callable[[BotNotice], str]
NOTICE_SENDERS: dict[str, SendNotice] = {}


def register_notice_sender(connector: str, send: SendNotice) -> None:
    NOTICE_SENDERS[connector] = send


def notice_recipient(notice: BotNotice) -> Identity:
    """The shopper's newest identity on the notice's connector."""
    identity = Identity.objects.filter(contact_id=notice.contact_id, connector=notice.connector).order_by("-id").first()
    if identity is None:
        raise Permanent(f"The shopper has no {notice.connector} identity to send to.")
    return identity


# ``record(state, external_id, error)``: the outcome of one attempt, written by the owner's action.
Record = Callable[[str, str, str], None]


def deliver_once(task: Task, lock_key: str, attempt: Callable[[], str | None], record: Record) -> str:
    """One attempt at one outbound item under its lock, the outcome sorted as for every reply:
    ``attempt()`` sends and returns the platform's id (None: nothing to send any more), raising
    Retryable (recorded, retried with backoff until MAX_RETRIES) or Permanent (recorded as failed)."""
    with _sending(lock_key) as held:
        if not held:
            if task.request.is_eager:  # the embedded default: the other sender is in this process
                return "busy"
            # Another worker is sending it, or died doing so: look again once its lock has expired.
            raise task.retry(countdown=LOCK_SECONDS, max_retries=None)
        try:
            external_id = attempt()
        except Permanent as exc:
            record(DeliveryState.FAILED, "", str(exc))
            return "failed"
        except Retryable as exc:
            attempts = task.request.retries + 1
            if task.request.retries >= MAX_RETRIES:
                record(DeliveryState.FAILED, "", f"{exc.reason}; gave up after {attempts} attempts")
                return "failed"
            delay = backoff_seconds(task.request.retries, exc.retry_after)
            error = f"{exc.reason}; retrying in {delay:.0f} s"
            logger.info("%s: %s", lock_key, error)
            record(DeliveryState.PENDING, "", error)
            raise task.retry(countdown=delay, exc=exc) from exc
        if external_id is None:
            return "skipped"
        record(DeliveryState.SENT, external_id, "")
        return "sent"


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def deliver_message(self: Task, message_id: int) -> str:
    """Send one operator message to the shopper's connector and record the outcome."""

    def attempt() -> str | None:
        message = Message.objects.select_related("conversation").filter(pk=message_id).first()
        if message is None or message.delivery_state != DeliveryState.PENDING:
            return None
        sender = SENDERS.get(message.connector)
        return None if sender is None else sender(message)

    def record(state: str, external_id: str, error: str) -> None:
        do_mark_delivery(message_id=message_id, state=state, external_id=external_id, error=error, attempt=True)

    return deliver_once(self, f"{message_id}", attempt, record)


def enqueue(message_id: int) -> None:
    """The ``deliver`` of the Telegram and VK registry entries (``chat.registry``), after the reply commits."""
    deliver_message.delay(message_id)
