"""VK's side of ratings and consultations: its keyboards and its rating prompt.

Stars are callback buttons (``message_event``, answered with ``sendMessageEventAnswer``); the chat
keyboard under the greeting carries the consultation button. The flow itself is shared with
Telegram (``connectors.bots``).
"""

from __future__ import annotations

import json
from typing import Any

from celery import shared_task

from chat.texts import shopper_text
from connectors import bots
from connectors.vk.outbound import send_bot_message


def rating_keyboard(conversation_id: int) -> dict[str, Any]:
    """An inline keyboard of five callback buttons (one row; VK allows up to five per row)."""
    return {
        "inline": True,
        "buttons": [
            [
                {
                    "action": {
                        "type": "callback",
                        "label": bots.star_label(n),
                        "payload": json.dumps({"data": bots.rate_data(conversation_id, n)}),
                    },
                    "color": "negative" if n <= 2 else ("positive" if n >= 4 else "secondary"),
                }
                for n in bots.STARS
            ]
        ],
    }


def main_keyboard(language: str) -> dict[str, Any]:
    """VK's keyboard under the chat: the consultation button, kept until replaced."""
    label = shopper_text("consultation_button", language)
    return {
        "one_time": False,
        "buttons": [
            [
                {
                    "action": {"type": "text", "label": label, "payload": json.dumps({"command": bots.STYLIST})},
                    "color": "primary",
                }
            ]
        ],
    }


BOT = bots.Bot(
    send=send_bot_message,
    address_key="peer_id",
    rating_keyboard=rating_keyboard,
    greeting_keyboard=main_keyboard,
)


@shared_task(acks_late=True)
def send_rating_prompt(conversation_id: int) -> str:
    """Ask for 1-5 stars with callback buttons."""
    return bots.prompt_rating(conversation_id)


def enqueue_rating_prompt(conversation_id: int) -> None:
    """The ``prompt_rating`` of VK's registry entry: runs after the close commits."""
    send_rating_prompt.delay(conversation_id)
