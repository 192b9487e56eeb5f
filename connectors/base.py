"""What every connector shares: the inbound type is ``chat.actions.InboundMessage``."""

from django.utils import translation
from django.utils.translation import gettext

from chat import throttle
from chat.actions import InboundAttachment, InboundMessage

__all__ = ["InboundAttachment", "InboundMessage", "part_external_id", "slow_down_reply", "split_long_text"]


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
