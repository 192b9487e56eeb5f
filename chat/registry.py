"""What the core asks of each connector, registered once per connector at start-up.

``chat`` never imports a connector: the widget, Telegram and VK each register one
:class:`ConnectorEntry` from their app's ``ready()`` (``connectors/<name>/registry.py``), and the
actions look the entry up by the conversation's connector. A connector without an entry needs
nothing: its messages count as sent at once, nobody is prompted, and it has no questionnaire link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chat.models import Conversation


@dataclass(frozen=True)
class ConnectorEntry:
    # ``deliver(message_id)`` starts sending an operator's message (enqueue a task, don't block).
    deliver: Callable[[int], None] | None = None
    # Which conversations need ``deliver``; None: all of the connector's (the widget only emails
    # replies to offline conversations, the live ones are read from the stream).
    delivers: Callable[[Conversation], bool] | None = None
    # ``prompt_rating(conversation_id)`` asks the shopper for 1-5 stars after close (enqueue, don't block).
    prompt_rating: Callable[[int], None] | None = None
    # ``questionnaire_link(conversation_id)``: the consultation form's link as this connector's shopper
    # opens it (a path the widget prefixes with its server, an absolute URL on Telegram and VK).
    questionnaire_link: Callable[[int], str] | None = None


NOTHING = ConnectorEntry()

_entries: dict[str, ConnectorEntry] = {}


def register_connector(connector: str, entry: ConnectorEntry) -> None:
    _entries[connector] = entry


def entry_for(connector: str) -> ConnectorEntry:
    return _entries.get(connector, NOTHING)


def sender_for(conversation: Conversation) -> Callable[[int], None] | None:
    """The connector's ``deliver`` if this conversation's messages must be sent; else None."""
    entry = entry_for(conversation.connector)
    if entry.deliver is None or (entry.delivers is not None and not entry.delivers(conversation)):
        return None
    return entry.deliver


def needs_delivery(conversation: Conversation) -> bool:
    return sender_for(conversation) is not None


def questionnaire_link(connector: str, conversation_id: int) -> str:
    build = entry_for(connector).questionnaire_link
    return build(conversation_id) if build is not None else ""
