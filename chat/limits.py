"""The message length limit, read in one place by every entry point that meets a shopper's or an
operator's text (actions, edits from Telegram and VK, the splitting of long texts, the workspace's
counter), so a change of ``SWITCHBOARD_MESSAGE_MAX_CHARS`` cannot miss one of them."""

from __future__ import annotations

from django.conf import settings


def message_max_chars() -> int:
    """Read at call time: tests and deployments override the setting after import."""
    return int(settings.SWITCHBOARD_MESSAGE_MAX_CHARS)


def is_over_message_limit(text: str) -> bool:
    return len(text) > message_max_chars()
