"""The one error type of the chat actions: a stable code for clients and a message for people."""

from __future__ import annotations

import math

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class ChatError(Exception):
    """A refused action. Nothing was written when this is raised."""

    code = "chat_error"
    status = 400

    def __init__(self, message: str | Promise | None = None) -> None:
        self.message = str(message or self.default_message)
        super().__init__(self.message)

    default_message = _("The action was refused.")


class NotFound(ChatError):
    code = "not_found"
    status = 404
    default_message = _("Not found.")


class InvalidInput(ChatError):
    code = "invalid_input"
    default_message = _("The input is not valid.")


class ConversationClosed(ChatError):
    code = "conversation_closed"
    status = 409
    default_message = _("The conversation is already closed.")


class WrongState(ChatError):
    code = "wrong_state"
    status = 409
    default_message = _("The conversation is not in a state that allows this.")


class OperatorUnavailable(ChatError):
    code = "operator_unavailable"
    status = 409
    default_message = _("The operator is offline, away or already at their chat limit.")


class InvalidReason(ChatError):
    code = "invalid_reason"
    default_message = _("Choose a contact reason from the list.")


class Forbidden(ChatError):
    code = "forbidden"
    status = 403
    default_message = _("This is not your conversation.")


class AlreadyRated(ChatError):
    code = "already_rated"
    status = 409
    default_message = _("Thank you, this conversation is already rated.")


class LinkNotValid(ChatError):
    code = "link_not_valid"
    status = 403
    default_message = _("This link is not valid. Ask the chat for a new one.")


class LinkExpired(ChatError):
    code = "link_expired"
    status = 410
    default_message = _("This link has expired. Ask the chat for a new one.")

    def __init__(self, message: str | None = None, *, conversation_id: int | None = None) -> None:
        # The signature was genuine, only old: the page may still speak the shopper's language.
        self.conversation_id = conversation_id
        super().__init__(message)


class InvalidForm(InvalidInput):
    """A form with mistakes: ``errors`` maps each field to its messages, in the shopper's language."""

    code = "invalid_form"
    default_message = _("Please correct the marked fields.")

    def __init__(self, errors: dict[str, list[str]], message: str | None = None) -> None:
        self.errors = errors
        super().__init__(message)


class RateLimited(ChatError):
    """Too many tries in a short time; nothing was stored, the client may try again after ``retry_after``."""

    code = "rate_limited"
    status = 429
    default_message = _("You are sending too fast. Please wait a few seconds and try again.")

    def __init__(self, retry_after: float, message: str | None = None) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(
            message
            or ngettext(
                "You are sending too fast. Please wait %(seconds)d second and try again.",
                "You are sending too fast. Please wait %(seconds)d seconds and try again.",
                self.retry_after,
            )
            % {"seconds": self.retry_after}
        )


class AtChatLimit(ChatError):
    """The operator already holds as many chats as their cap allows: nothing was taken."""

    code = "at_chat_limit"
    status = 409
    default_message = _("You are at your chat limit: close one of your chats first.")
