"""What every module of the workspace API shares: the parser for strangers' input, the two ways
an operator signs in, the error shapes and id types, ``me``, and the conversation and message schemas.

``workspace.api`` builds the API from these and mounts the endpoint modules (``feedback_api``,
``privacy_api``, ``customers_api``, ``history_api``, ``kb.api``); those import from here, never from
``workspace.api``, so nothing imports back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import Field, Path, Schema
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth

from chat import throttle
from chat.errors import InvalidInput, RateLimited
from chat.models import Operator
from chat.untrusted import MAX_ID, first_unstorable, loads_bounded, unstorable_reason
from workspace.tokens import operator_for_api_token
from workspace.views import activate_operator_language


def _cannot_store(field: str) -> InvalidInput:
    return InvalidInput(_("%(field)s contains a character that cannot be stored; remove it.") % {"field": field})


class UntrustedParser(Parser):
    """JSON bodies and query strings from strangers: depth capped, and no NUL or lone surrogate
    (neither can be stored) anywhere, so such input is a 400 naming the field, never a 500."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = loads_bounded(request.body)
        unstorable = first_unstorable(data)
        if unstorable is not None:
            raise _cannot_store(unstorable[0].removeprefix("$.") or "body")
        return data  # type: ignore[no-any-return]

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> dict[str, Any]:
        for key, values in data.lists():
            texts = [value for value in values if isinstance(value, str)]  # uploaded files are checked by bytes
            if unstorable_reason(key) or any(unstorable_reason(value) for value in texts):
                raise _cannot_store(key if not unstorable_reason(key) else "query")
        return super().parse_querydict(data, list_fields, request)


class OperatorSessionAuth(SessionAuth):
    """The Django session of a user who is an operator (CSRF is checked on unsafe methods).

    Without a signed-in user there is nothing to protect from forgery: the request is simply not
    authenticated (401, as the docs say), not a CSRF failure (403).
    """

    def __call__(self, request: HttpRequest) -> Operator | None:
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)  # type: ignore[no-any-return]

    def authenticate(self, request: HttpRequest, key: str | None) -> Operator | None:
        user = super().authenticate(request, key)
        if user is None:
            return None
        operator = Operator.objects.filter(user=user).first()
        activate_operator_language(request, operator)
        return operator


class OperatorTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` for scripts (``manage.py issue_api_token``); no CSRF involved."""

    def authenticate(self, request: HttpRequest, token: str) -> Operator | None:
        """Past ``api_token_ip`` bad tokens from one address, every token is refused (429) for a while,
        so tokens cannot be guessed at speed."""
        bad_tokens, address = throttle.limit("api_token_ip"), throttle.request_ip(request)
        if wait := throttle.retry_after(bad_tokens, address):
            raise RateLimited(wait)
        operator = operator_for_api_token(token)
        if operator is None:
            throttle.hit(bad_tokens, address)
        activate_operator_language(request, operator)
        return operator


def me(request: HttpRequest) -> Operator:
    operator = request.auth  # type: ignore[attr-defined]
    assert isinstance(operator, Operator)
    return operator


# --- Schemas ---------------------------------------------------------------------------------------


class ErrorBody(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBody


ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}
# A row id: what a bigint holds. In a path, anything else is 404; in a body or query, 422.
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


# What a conversation and a message look like in every module that lists them.


class QueueRef(Schema):
    id: int
    slug: str
    name: str


class OperatorRef(Schema):
    id: int
    name: str


class ContactRef(Schema):
    id: int
    name: str
    language: str


class ConversationOut(Schema):
    id: int
    connector: str
    state: str
    queue: QueueRef
    operator: OperatorRef | None
    contact: ContactRef
    is_offline: bool
    created_at: datetime
    queued_at: datetime | None
    assigned_at: datetime | None
    closed_at: datetime | None
    reason_id: int | None


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    url: str
    inline: bool


class MessageOut(Schema):
    id: int
    conversation_id: int
    author_kind: str
    author_name: str
    text: str
    created_at: datetime
    edited: bool
    attachments: list[AttachmentOut]
    is_note: bool
    delivery_state: str
    delivery_error: str
