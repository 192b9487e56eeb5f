"""What the bot says by itself (not an operator): the greeting for /start and VK's Start button."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext


def greeting(language: str) -> str:
    with translation.override("ru" if language.lower().startswith("ru") else "en"):
        return gettext("Hello! Write your question here and an operator will answer you shortly.")
