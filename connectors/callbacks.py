"""Buttons and commands from Telegram and VK, routed to whichever app owns them.

Payload-prefix convention (both connectors):

- A button's data is ``"<prefix>:<rest>"``: ``prefix`` is a short lowercase slug naming the owner
  (``rate``, ``stylist``), ``rest`` is the owner's business (``rate:<conversation id>:<stars>``).
  Keep the whole string within 64 bytes: Telegram's ``callback_data`` limit.
- Telegram carries it as the inline button's ``callback_data`` (arrives as ``callback_query``).
- VK carries it as the button payload ``{"data": "<prefix>:<rest>"}``: a callback button arrives
  as ``message_event``, a text button as ``message_new`` with that ``payload``.

``register_callback_handler("rate", fn)`` from an app's ``ready()``; ``fn(press)`` returns the short
text shown to the shopper (Telegram's toast, VK's snackbar), or ``None`` for none. Commands
(``/stylist``) work the same through ``register_command_handler``; an unclaimed command is stored as
an ordinary message so the operator still sees it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

MAX_DATA_BYTES = 64


@dataclass(frozen=True)
class ButtonPress:
    """A shopper pressed one of our buttons."""

    connector: str  # "telegram" | "vk"
    sender_id: str  # the user's id on that connector (the identity's external id)
    chat_id: str  # Telegram chat id, VK peer id: where to answer
    data: str  # "<prefix>:<rest>"
    sender_name: str = ""
    language: str = ""
    # Our external id of the message carrying the keyboard ("<chat>:<message id>"), when known.
    message_external_id: str | None = None

    @property
    def prefix(self) -> str:
        return self.data.split(":", 1)[0]

    @property
    def rest(self) -> str:
        return self.data.split(":", 1)[1] if ":" in self.data else ""


@dataclass(frozen=True)
class Command:
    """A shopper sent ``/name args`` (Telegram) or pressed a button with ``{"command": name}`` (VK)."""

    connector: str
    sender_id: str
    chat_id: str
    name: str
    args: str = ""
    sender_name: str = ""
    language: str = ""
    external_id: str | None = None


CallbackHandler = Callable[[ButtonPress], str | None]
CommandHandler = Callable[[Command], str | None]

_callback_handlers: dict[str, CallbackHandler] = {}
_command_handlers: dict[str, CommandHandler] = {}


def register_callback_handler(prefix: str, handler: CallbackHandler) -> None:
    if not prefix or ":" in prefix:
        raise ValueError("A callback prefix is a non-empty slug without ':'.")
    _callback_handlers[prefix] = handler


def register_command_handler(name: str, handler: CommandHandler) -> None:
    """``handler(command)`` returns a reply text for the shopper, or ``None`` to send nothing."""
    _command_handlers[name.lstrip("/").lower()] = handler


def callback_data(prefix: str, rest: str) -> str:
    """Build button data by the convention above, refusing what Telegram would reject."""
    data = f"{prefix}:{rest}"
    if len(data.encode()) > MAX_DATA_BYTES:
        raise ValueError(f"Button data is over {MAX_DATA_BYTES} bytes: {data!r}")
    return data


def dispatch_callback(press: ButtonPress) -> str | None:
    """Run the owner's handler; an unknown prefix is logged, never an error for the shopper."""
    handler = _callback_handlers.get(press.prefix)
    if handler is None:
        logger.info("No handler for %s button data %r; ignored", press.connector, press.data)
        return None
    return handler(press)


def dispatch_command(command: Command) -> tuple[bool, str | None]:
    """``(handled, reply)``: ``handled`` is False when no app claims the command."""
    handler = _command_handlers.get(command.name.lower())
    if handler is None:
        return False, None
    return True, handler(command)
