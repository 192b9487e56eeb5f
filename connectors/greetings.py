"""What the bot says by itself (not an operator): the greeting for /start and VK's Start button.

Kept here in both languages rather than in the gettext catalogue, which other apps compile: the
greeting must not silently fall back to English when the catalogue is stale.
"""

from __future__ import annotations

from django.conf import settings

GREETINGS = {
    "en": "Hello! Write your question here and an operator will answer you shortly.",
    "ru": "Здравствуйте! Напишите здесь ваш вопрос, и оператор скоро ответит.",
}


def greeting(language: str) -> str:
    """The shop's greeting (``SWITCHBOARD_GREETING_EN`` / ``_RU``) in the shopper's language, else ours."""
    code = "ru" if language.lower().startswith("ru") else "en"
    shop_set = settings.SWITCHBOARD_GREETING_RU if code == "ru" else settings.SWITCHBOARD_GREETING_EN
    return shop_set or GREETINGS[code]
