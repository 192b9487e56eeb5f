"""What goes out to a VK shopper: operators' replies and proactive notices (retried by
``connectors.delivery``) and the
bot's own messages (greetings, rating prompts, answers to buttons), which are never retried."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from vk_api.exceptions import ApiError, ApiHttpError, VkApiError

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
from connectors.vk import client

logger = logging.getLogger(__name__)

# VK errors worth another try: too many requests, internal server error, flood of the same call.
VK_RETRYABLE_CODES = {1, 6, 10}


def send_message(message: Message) -> str:
    """One operator reply; ``random_id`` from our message id, so a retry never doubles on VK's side."""
    identity = recipient(message)
    peer_id = identity.details.get("peer_id") or identity.external_id
    with _sorted_errors():
        uploaded = [
            client.upload_file(
                peer_id,
                content=read_attachment(attachment),
                name=attachment.name,
                as_photo=attachment.detected_type in PHOTO_TYPES,
            )
            for attachment in message.attachments.all()
        ]
        sent_id = client.send_text(
            peer_id, message.text, random_id=client.random_id_for(message.pk), attachments=uploaded
        )
    return f"{peer_id}:{sent_id}"


def send_notice(notice: BotNotice) -> str:
    """One proactive notice with its keyboard; its own ``random_id`` range, so a retry never doubles."""
    identity = notice_recipient(notice)
    peer_id = identity.details.get("peer_id") or identity.external_id
    with _sorted_errors():
        sent_id = client.send_text(
            peer_id, notice.text, random_id=client.random_id_for_notice(notice.key), keyboard=notice.keyboard
        )
    return f"{peer_id}:{sent_id}"


@contextmanager
def _sorted_errors() -> Iterator[None]:
    """VK's errors as Retryable (error 1, 6, 10, HTTP 429 and 5xx, network) or Permanent (the rest)."""
    try:
        yield
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


def send_bot_message(peer_id: int | str, text: str, keyboard: dict[str, Any] | None = None) -> None:
    """One bot message outside the operator's transcript; failures are logged, never retried."""
    try:
        client.send_text(peer_id, text, random_id=0, keyboard=keyboard)
    except (VkApiError, requests.RequestException, ratelimit.SlotTimeout) as exc:
        logger.warning("Could not send to vk %s: %s", peer_id, exc)
