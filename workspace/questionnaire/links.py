"""The links to the questionnaire page: a path for the widget (same host), an absolute URL for bots.

The page owns its URL; connectors build their shopper's link with these (``chat.registry``).
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from chat.links import questionnaire_token


def questionnaire_path(conversation_id: int) -> str:
    return reverse("questionnaire-form", kwargs={"token": questionnaire_token(conversation_id)})


def questionnaire_url(conversation_id: int) -> str:
    """The absolute link sent on Telegram and VK (SITE_URL is the public address)."""
    return settings.SITE_URL.rstrip("/") + questionnaire_path(conversation_id)
