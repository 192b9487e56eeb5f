"""Ratings and stylist consultations on Telegram and VK: buttons in, keyboards and links out.

- After close, ``chat.feedback`` calls the prompt registered here, which enqueues
  :func:`send_rating_prompt`: five buttons (``rate:<conversation>:<stars>``): Telegram inline
  buttons (``callback_query``, answered with ``answerCallbackQuery``), VK callback buttons
  (``message_event``, answered with ``sendMessageEventAnswer``).
- A press rates through :func:`chat.actions.do_rate_conversation`; the toast says thanks, "already
  rated" or why not, and a message asks for an optional comment, which is the shopper's next text.
- ``/stylist`` (Telegram; in the bot's command menu), a VK keyboard button (``{"command": "stylist"}``)
  and the button under the greeting (``stylist:start``) open a consultation and send the signed
  link to the questionnaire.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import requests
from celery import shared_task
from django.conf import settings
from telegram.error import TelegramError
from vk_api.exceptions import VkApiError

from chat.actions import do_rate_conversation, do_start_consultation, do_take_rating_comment
from chat.actions._common import now
from chat.actions.inbound import InboundMessage
from chat.errors import ChatError, NotFound
from chat.feedback import STYLIST_QUEUE as STYLIST_QUEUE_SLUG
from chat.feedback import questionnaire_path, register_rating_prompt, shopper_text
from chat.models import Connector, Conversation, ConversationState, Identity, Questionnaire, Rating
from connectors import callbacks, ratelimit
from connectors.greetings import greeting
from connectors.telegram import client as telegram
from connectors.vk import client as vk

logger = logging.getLogger(__name__)

RATE = "rate"
STYLIST = "stylist"
STARS = (1, 2, 3, 4, 5)


# --- Keyboards ---------------------------------------------------------------------------------------


def star_label(stars: int) -> str:
    return f"{stars} ★"


def telegram_rating_keyboard(conversation_id: int) -> dict[str, Any]:
    return {
        "inline_keyboard": [
            [
                {"text": star_label(n), "callback_data": callbacks.callback_data(RATE, f"{conversation_id}:{n}")}
                for n in STARS
            ]
        ]
    }


def vk_rating_keyboard(conversation_id: int) -> dict[str, Any]:
    """An inline keyboard of five callback buttons (one row; VK allows up to five per row)."""
    return {
        "inline": True,
        "buttons": [
            [
                {
                    "action": {
                        "type": "callback",
                        "label": star_label(n),
                        "payload": json.dumps({"data": callbacks.callback_data(RATE, f"{conversation_id}:{n}")}),
                    },
                    "color": "negative" if n <= 2 else ("positive" if n >= 4 else "secondary"),
                }
                for n in STARS
            ]
        ],
    }


def telegram_greeting_keyboard(language: str) -> dict[str, Any]:
    label = shopper_text("consultation_button", language)
    return {"inline_keyboard": [[{"text": label, "callback_data": callbacks.callback_data(STYLIST, "start")}]]}


def vk_main_keyboard(language: str) -> dict[str, Any]:
    """VK's keyboard under the chat: the consultation button, kept until replaced."""
    label = shopper_text("consultation_button", language)
    return {
        "one_time": False,
        "buttons": [
            [
                {
                    "action": {"type": "text", "label": label, "payload": json.dumps({"command": STYLIST})},
                    "color": "primary",
                }
            ]
        ],
    }


# --- Sending -----------------------------------------------------------------------------------------


def _address(conversation: Conversation) -> str | None:
    """Where the shopper reads us on the conversation's connector: Telegram chat id, VK peer id."""
    identity = (
        Identity.objects.filter(contact_id=conversation.contact_id, connector=conversation.connector)
        .order_by("-id")
        .first()
    )
    if identity is None:
        return None
    key = "chat_id" if conversation.connector == Connector.TELEGRAM else "peer_id"
    return str(identity.details.get(key) or identity.external_id)


def send(connector: str, address: str, text: str, keyboard: dict[str, Any] | None = None) -> None:
    """One bot message outside the operator's transcript; failures are logged, never retried."""
    try:
        if connector == Connector.TELEGRAM:
            ratelimit.acquire(ratelimit.telegram_windows(address))
            telegram.send_text(address, text, reply_markup=keyboard)
        elif connector == Connector.VK:
            vk.send_text(address, text, random_id=0, keyboard=keyboard)
    except (TelegramError, VkApiError, requests.RequestException, ratelimit.SlotTimeout) as exc:
        logger.warning("Could not send to %s %s: %s", connector, address, exc)


@shared_task(acks_late=True)
def send_rating_prompt(conversation_id: int) -> str:
    """Ask for 1-5 stars with buttons on the conversation's own connector."""
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None or conversation.connector not in (Connector.TELEGRAM, Connector.VK):
        return "skipped"
    address = _address(conversation)
    if address is None:
        return "no address"
    text = shopper_text("rate_prompt", conversation.language)
    if conversation.connector == Connector.TELEGRAM:
        send(Connector.TELEGRAM, address, text, telegram_rating_keyboard(conversation.pk))
    else:
        send(Connector.VK, address, text, vk_rating_keyboard(conversation.pk))
    return "sent"


def enqueue_rating_prompt(conversation_id: int) -> None:
    send_rating_prompt.delay(conversation_id)


# --- Presses, commands and the comment ---------------------------------------------------------------


def on_rate(press: callbacks.ButtonPress) -> str | None:
    """``rate:<conversation>:<stars>``: the toast answers; a message asks for the optional comment."""
    try:
        conversation_id, stars = (int(part) for part in press.rest.split(":"))
    except ValueError:
        return None
    language = (
        Conversation.objects.filter(pk=conversation_id).values_list("language", flat=True).first() or press.language
    )
    try:
        do_rate_conversation(
            conversation_id=conversation_id, connector=press.connector, sender_id=press.sender_id, stars=stars
        )
    except NotFound:
        return None  # a button for a conversation we don't have: nothing useful to say
    except ChatError as exc:
        return exc.message
    if press.connector == Connector.TELEGRAM and press.message_external_id:
        _remove_telegram_keyboard(press.message_external_id)
    send(press.connector, press.chat_id, shopper_text("rated_thanks", language))
    return shopper_text("rated_thanks_widget", language)


def _remove_telegram_keyboard(message_external_id: str) -> None:
    chat_id, _, message_id = message_external_id.partition(":")
    try:
        telegram.edit_message_reply_markup(chat_id, int(message_id), None)
    except (TelegramError, ValueError) as exc:
        logger.info("Rating keyboard left in place: %s", exc)


def start_consultation(connector: str, sender_id: str, chat_id: str, name: str, language: str) -> str:
    consultation = do_start_consultation(connector=connector, sender_id=sender_id, name=name, language=language)
    language = consultation.conversation.language or language
    submitted = Questionnaire.objects.filter(
        conversation_id=consultation.conversation.pk, submitted_at__isnull=False
    ).exists()
    key = "consultation_submitted" if submitted else "consultation_intro"
    return shopper_text(key, language, url=consultation.questionnaire_url)


def on_stylist_command(command: callbacks.Command) -> str | None:
    """``/stylist`` or VK's keyboard button: the reply carries the questionnaire link."""
    return start_consultation(
        command.connector, command.sender_id, command.chat_id, command.sender_name, command.language
    )


def on_stylist_button(press: callbacks.ButtonPress) -> str | None:
    """The button under the greeting: the link goes as a message, the toast stays short."""
    text = start_consultation(press.connector, press.sender_id, press.chat_id, press.sender_name, press.language)
    send(press.connector, press.chat_id, text)
    return shopper_text("consultation_button", press.language)


def on_start(command: callbacks.Command) -> str | None:
    """The greeting, with the consultation button under it (VK: the chat keyboard)."""
    if command.connector == Connector.TELEGRAM:
        send(
            Connector.TELEGRAM,
            command.chat_id,
            greeting(command.language),
            telegram_greeting_keyboard(command.language),
        )
    else:
        send(command.connector, command.chat_id, greeting(command.language), vk_main_keyboard(command.language))
    return None


def take_comment(connector: str, sender_id: str, text: str) -> str | None:
    """The thanks to send if ``text`` was the awaited rating comment; None if it is a message."""
    rating = do_take_rating_comment(InboundMessage(connector=connector, sender_id=sender_id, text=text))
    if rating is None:
        return None
    language = Conversation.objects.filter(pk=rating.conversation_id).values_list("language", flat=True).first()
    return shopper_text("comment_thanks", language)


def register() -> None:
    """Called from ``ConnectorsConfig.ready``."""
    register_rating_prompt(Connector.TELEGRAM, enqueue_rating_prompt)
    register_rating_prompt(Connector.VK, enqueue_rating_prompt)
    callbacks.register_callback_handler(RATE, on_rate)
    callbacks.register_callback_handler(STYLIST, on_stylist_button)
    callbacks.register_command_handler(STYLIST, on_stylist_command)
    callbacks.register_command_handler("start", on_start)


# --- The widget ----------------------------------------------------------------------------------------


def widget_feedback_frames(conversation_id: int | None) -> list[dict[str, Any]]:
    """What the widget should show beside a conversation it (re)follows: stars to give, a form to fill.

    Sent after the ``state`` frame, so a reload or a reconnect brings the rating or the
    questionnaire back until the shopper has answered.
    """
    if conversation_id is None:
        return []
    conversation = Conversation.objects.select_related("queue").filter(pk=conversation_id).first()
    if conversation is None:
        return []
    if conversation.state == ConversationState.CLOSED:
        if rating_is_due(conversation):
            return [widget_rating_frame(conversation.pk, conversation.language)]
        return []
    if (
        conversation.queue.slug == STYLIST_QUEUE_SLUG
        and not Questionnaire.objects.filter(conversation_id=conversation.pk, submitted_at__isnull=False).exists()
    ):
        return [widget_questionnaire_frame(conversation.pk)]
    return []


def rating_is_due(conversation: Conversation) -> bool:
    """Closed with an operator's answer, not yet rated, still inside the rating window."""
    if conversation.closed_at is None or conversation.last_replied_operator_id is None:
        return False
    if now() > conversation.closed_at + timedelta(days=settings.SWITCHBOARD_RATING_WINDOW_DAYS):
        return False
    return not Rating.objects.filter(conversation_id=conversation.pk).exists()


def widget_rating_frame(conversation_id: int, language: str) -> dict[str, Any]:
    return {
        "type": "rating.requested",
        "conversation_id": conversation_id,
        "prompt": shopper_text("rate_prompt", language),
    }


def widget_questionnaire_frame(conversation_id: int) -> dict[str, Any]:
    """The form's path (the widget prefixes its own server's origin) for an inline frame."""
    return {"type": "questionnaire", "conversation_id": conversation_id, "url": questionnaire_path(conversation_id)}


def widget_rate(*, visitor_id: str, conversation_id: int, stars: object, comment: object) -> dict[str, Any]:
    """The ``rate`` frame: stars and the optional comment at once; refusals raise ``ChatError``."""
    rating = do_rate_conversation(
        conversation_id=conversation_id,
        connector=Connector.WIDGET,
        sender_id=visitor_id,
        stars=stars,
        comment=comment if isinstance(comment, str) else "",
    )
    language = Conversation.objects.filter(pk=conversation_id).values_list("language", flat=True).first()
    return {
        "type": "rated",
        "conversation_id": conversation_id,
        "stars": rating.stars,
        "text": shopper_text("rated_thanks_widget", language),
    }
