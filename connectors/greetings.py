"""What the bot says by itself (not an operator): the greeting for /start and VK's Start button.

Kept here in both languages rather than in the gettext catalogue, which other apps compile: the
greeting must not silently fall back to English when the catalogue is stale.
"""

from __future__ import annotations

GREETINGS = {
    "en": "Hello! Write your question here and an operator will answer you shortly.",
    "ru": "Здравствуйте! Напишите здесь ваш вопрос, и оператор скоро ответит.",
}


def greeting(language: str) -> str:
    return GREETINGS["ru" if language.lower().startswith("ru") else "en"]
