"""What the shopper reads from us, on every connector, in one gettext catalogue.

Each text has a key so connectors and actions name it the same way; the words are gettext messages
(English here, Russian in ``locale/ru/LC_MESSAGES/django.po``), rendered in the shopper's language.
They carry the context ``shopper``: the same English may be worded differently for operators.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, pgettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

SHOPPER_TEXTS: dict[str, StrPromise] = {
    # The bot's own first words (/start, VK's Start button) and the first line of a new widget chat.
    "greeting": pgettext_lazy("shopper", "Hello! Write your question here and an operator will answer you shortly."),
    "rate_prompt": pgettext_lazy("shopper", "How did we do? Rate this chat from 1 to 5 stars."),
    "rated_thanks": pgettext_lazy(
        "shopper", "Thank you for your rating! If you like, write a comment in your next message."
    ),
    "rated_thanks_widget": pgettext_lazy("shopper", "Thank you for your rating!"),
    "comment_thanks": pgettext_lazy(
        "shopper", "Thank you, your comment is saved. Write again any time to start a new chat."
    ),
    "already_rated": pgettext_lazy("shopper", "Thank you, this conversation is already rated."),
    "not_yours": pgettext_lazy("shopper", "Only the person who wrote in this chat can rate it."),
    "still_open": pgettext_lazy("shopper", "The chat is still open: you can rate it once it is closed."),
    "window_passed": pgettext_lazy("shopper", "Ratings for this chat are closed: it ended more than {days} days ago."),
    "nothing_to_rate": pgettext_lazy("shopper", "There is nothing to rate: no operator answered in this chat."),
    "stars_range": pgettext_lazy("shopper", "Choose from 1 to 5 stars."),
    "comment_too_long": pgettext_lazy("shopper", "The comment is longer than {limit} characters."),
    "comment_empty": pgettext_lazy("shopper", "The comment is empty."),
    "already_commented": pgettext_lazy("shopper", "Thank you, this rating already has a comment."),
    "consultation_intro": pgettext_lazy(
        "shopper", "Welcome to the free stylist consultation! Please fill in a short questionnaire first: {url}"
    ),
    "consultation_handover": pgettext_lazy(
        "shopper", "This chat has moved to the stylist consultation: a stylist will continue it here."
    ),
    "consultation_submitted": pgettext_lazy(
        "shopper", "The stylist already has your questionnaire and will answer here. To change your answers: {url}"
    ),
    "consultation_button": pgettext_lazy("shopper", "Stylist consultation"),
    "questionnaire_received": pgettext_lazy(
        "shopper", "Thank you, the stylist has your questionnaire and will answer here."
    ),
    "consultation_closed": pgettext_lazy("shopper", "This consultation is closed. Start a new one from the chat."),
    "link_not_valid": pgettext_lazy("shopper", "This link is not valid. Ask the chat for a new one."),
    "link_expired": pgettext_lazy("shopper", "This link has expired. Ask the chat for a new one."),
}


def language_of(code: str | None) -> str:
    """Russian or English: the two languages shoppers write in."""
    return "ru" if (code or "").lower().startswith("ru") else "en"


def in_language(text: str | StrPromise, language: str | None, **values: Any) -> str:
    """A message (marked with ``gettext_noop`` or lazy) in the shopper's language, ``{name}``s filled."""
    with translation.override(language_of(language)):
        message = gettext(text) if isinstance(text, str) else str(text)
        return message.format(**values)


def shopper_text(key: str, language: str | None = None, **values: Any) -> str:
    return in_language(SHOPPER_TEXTS[key], language, **values)


def greeting(language: str) -> str:
    """The shop's greeting (``SWITCHBOARD_GREETING_EN`` / ``_RU``) in the shopper's language, else ours."""
    code = language_of(language)
    shop_set = settings.SWITCHBOARD_GREETING_RU if code == "ru" else settings.SWITCHBOARD_GREETING_EN
    return shop_set or shopper_text("greeting", code)
