"""Telegram's side of ratings and consultations: its keyboards and its rating prompt.

Stars are inline buttons (``callback_query``, answered with ``answerCallbackQuery``); the greeting
carries the consultation button. The flow itself is shared with VK (``connectors.bots``).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from telegram.error import TelegramError

from chat.texts import shopper_text
from connectors import bots, callbacks
from connectors.telegram import client
from connectors.telegram.outbound import send_bot_message

logger = logging.getLogger(__name__)


def rating_keyboard(conversation_id: int) -> dict[str, Any]:
    return {
        "inline_keyboard": [
            [{"text": bots.star_label(n), "callback_data": bots.rate_data(conversation_id, n)} for n in bots.STARS]
        ]
    }


def greeting_keyboard(language: str) -> dict[str, Any]:
    label = shopper_text("consultation_button", language)
    return {"inline_keyboard": [[{"text": label, "callback_data": callbacks.callback_data(bots.STYLIST, "start")}]]}


def remove_rating_keyboard(press: callbacks.ButtonPress) -> None:
    """Once rated, the prompt loses its stars, so nobody presses them again."""
    if not press.message_external_id:
        return
    chat_id, _, message_id = press.message_external_id.partition(":")
    try:
        client.edit_message_reply_markup(chat_id, int(message_id), None)
    except (TelegramError, ValueError) as exc:
        logger.info("Rating keyboard left in place: %s", exc)


BOT = bots.Bot(
    send=send_bot_message,
    address_key="chat_id",
    rating_keyboard=rating_keyboard,
    greeting_keyboard=greeting_keyboard,
    rated=remove_rating_keyboard,
)


@shared_task(acks_late=True)
def send_rating_prompt(conversation_id: int) -> str:
    """Ask for 1-5 stars with inline buttons."""
    return bots.prompt_rating(conversation_id)


def enqueue_rating_prompt(conversation_id: int) -> None:
    """The ``prompt_rating`` of Telegram's registry entry: runs after the close commits."""
    send_rating_prompt.delay(conversation_id)
