"""What the Telegram and VK bots share: long texts cut into messages, the "slow down" answer, rating
buttons, the consultation command and button, the rating comment, the greeting. The words and the
rules live in ``chat``; each bot registers how it sends and what its keyboards look like
(``connectors/<name>/feedback.py``).

- After close the bot's registry entry prompts for stars (``rate:<conversation>:<stars>`` buttons);
  a press rates through :func:`chat.actions.do_rate_conversation`; the toast says thanks, "already
  rated" or why not, and a message asks for an optional comment, which is the shopper's next text.
- ``/stylist`` (Telegram; in the bot's command menu), a VK keyboard button (``{"command": "stylist"}``)
  and the button under the greeting (``stylist:start``) open a consultation through
  :func:`chat.actions.do_start_consultation` and send the signed link to the questionnaire.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext

from chat import throttle
from chat.actions import do_rate_conversation, do_start_consultation, do_take_rating_comment
from chat.actions.inbound import InboundMessage
from chat.errors import ChatError, NotFound
from chat.models import Conversation, Identity, Questionnaire
from chat.texts import greeting, shopper_text
from connectors import callbacks

RATE = "rate"
STYLIST = "stylist"
STARS = (1, 2, 3, 4, 5)

Keyboard = dict[str, Any]


@dataclass(frozen=True)
class Bot:
    """One connector's side of the shared bot flow."""

    # ``send(address, text, keyboard)``: a bot message outside the transcript; failures logged.
    send: Callable[[str, str, Keyboard | None], None]
    # The key in ``Identity.details`` that holds where the shopper reads us (chat id, peer id).
    address_key: str
    rating_keyboard: Callable[[int], Keyboard]
    greeting_keyboard: Callable[[str], Keyboard]
    # After a press rated the chat (Telegram takes the stars off the prompt).
    rated: Callable[[callbacks.ButtonPress], None] = lambda press: None


_bots: dict[str, Bot] = {}


def register_bot(connector: str, bot: Bot) -> None:
    _bots[connector] = bot


def star_label(stars: int) -> str:
    return f"{stars} ★"


def rate_data(conversation_id: int, stars: int) -> str:
    return callbacks.callback_data(RATE, f"{conversation_id}:{stars}")


def address_of(conversation: Conversation, key: str) -> str | None:
    """Where the shopper reads us on the conversation's connector: their newest identity there."""
    identity = (
        Identity.objects.filter(contact_id=conversation.contact_id, connector=conversation.connector)
        .order_by("-id")
        .first()
    )
    if identity is None:
        return None
    return str(identity.details.get(key) or identity.external_id)


def prompt_rating(conversation_id: int) -> str:
    """Ask for 1-5 stars with buttons on the conversation's own connector (from a Celery task)."""
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    bot = _bots.get(conversation.connector) if conversation is not None else None
    if conversation is None or bot is None:
        return "skipped"
    address = address_of(conversation, bot.address_key)
    if address is None:
        return "no address"
    bot.send(address, shopper_text("rate_prompt", conversation.language), bot.rating_keyboard(conversation.pk))
    return "sent"


def _send(connector: str, address: str, text: str, keyboard: Keyboard | None = None) -> None:
    bot = _bots.get(connector)
    if bot is not None:
        bot.send(address, text, keyboard)


def send_bot_message(connector: str, address: str, text: str, keyboard: Keyboard | None = None) -> None:
    """A bot message outside the transcript, for other apps' buttons (pre-shot); failures logged."""
    _send(connector, address, text, keyboard)


# --- Messages in ------------------------------------------------------------------------------------


def slow_down_reply(*, connector: str, sender_id: str, language: str) -> str | None:
    """Count one stored message of a Telegram or VK sender; the text to answer, once per window,
    when they pass ``inbound_user`` (else None).

    The platform has already taken the message, so refusing it would lose the shopper's words:
    every message is stored and shown. The limit only asks the sender to slow down, and only once
    per window, so a flood never becomes a flood of our replies too.
    """
    limit = throttle.limit("inbound_user")
    subject = f"{connector}:{sender_id}"
    if not throttle.hit(limit, subject) or not throttle.first_over(limit, subject):
        return None
    with translation.override("ru" if language.lower().startswith("ru") else "en"):
        return gettext("You are writing very fast. We have every message; please give the operator a moment to reply.")


def split_long_text(text: str, limit: int) -> list[str]:
    """Cut a text longer than ``limit`` into parts of at most ``limit`` characters, in order.

    A Telegram or VK shopper cannot be refused before sending, so a text over our limit is stored as
    several messages instead of being dropped. Joining the parts gives the text back exactly; a cut
    falls after the last line break (or space) in the second half of a part, so words stay whole.
    """
    parts: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n"), window.rfind(" "))
        cut = cut + 1 if cut >= limit // 2 else limit
        parts.append(text[:cut])
        text = text[cut:]
    parts.append(text)
    return parts


def part_external_id(external_id: str, index: int) -> str:
    """The first part keeps the platform's id (edits find it); later parts add ``#<n>`` (retries dedupe)."""
    return external_id if index == 0 else f"{external_id}#{index + 1}"


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
    bot = _bots.get(press.connector)
    if bot is not None:
        bot.rated(press)
    _send(press.connector, press.chat_id, shopper_text("rated_thanks", language))
    return shopper_text("rated_thanks_widget", language)


def start_consultation(connector: str, sender_id: str, chat_id: str, name: str, language: str) -> str:
    consultation = do_start_consultation(connector=connector, sender_id=sender_id, name=name, language=language)
    language = consultation.conversation.language or language
    submitted = Questionnaire.objects.filter(
        conversation_id=consultation.conversation.pk, submitted_at__isnull=False
    ).exists()
    key = "consultation_submitted" if submitted else "consultation_intro"
    return shopper_text(key, language, url=consultation.questionnaire_link)


def on_stylist_command(command: callbacks.Command) -> str | None:
    """``/stylist`` or VK's keyboard button: the reply carries the questionnaire link."""
    return start_consultation(
        command.connector, command.sender_id, command.chat_id, command.sender_name, command.language
    )


def on_stylist_button(press: callbacks.ButtonPress) -> str | None:
    """The button under the greeting: the link goes as a message, the toast stays short."""
    text = start_consultation(press.connector, press.sender_id, press.chat_id, press.sender_name, press.language)
    _send(press.connector, press.chat_id, text)
    return shopper_text("consultation_button", press.language)


def on_start(command: callbacks.Command) -> str | None:
    """The greeting, with the consultation button under it (VK: the chat keyboard)."""
    bot = _bots.get(command.connector)
    keyboard = bot.greeting_keyboard(command.language) if bot is not None else None
    _send(command.connector, command.chat_id, greeting(command.language), keyboard)
    return None


def take_comment(connector: str, sender_id: str, text: str) -> str | None:
    """The thanks to send if ``text`` was the awaited rating comment; None if it is a message."""
    rating = do_take_rating_comment(InboundMessage(connector=connector, sender_id=sender_id, text=text))
    if rating is None:
        return None
    language = Conversation.objects.filter(pk=rating.conversation_id).values_list("language", flat=True).first()
    return shopper_text("comment_thanks", language)


def register_handlers() -> None:
    """The rating and consultation buttons and commands (called from ``ConnectorsConfig.ready``)."""
    callbacks.register_callback_handler(RATE, on_rate)
    callbacks.register_callback_handler(STYLIST, on_stylist_button)
    callbacks.register_command_handler(STYLIST, on_stylist_command)
    callbacks.register_command_handler("start", on_start)
