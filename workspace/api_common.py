"""What every module of the workspace API shares: the parser for strangers' input, the two ways
an operator signs in, the error shapes and id types, ``me``, and the conversation and message schemas.

``workspace.api`` builds the API from these and mounts the endpoint modules (``feedback_api``,
``privacy_api``, ``customers_api``, ``history_api``, ``kb.api``); those import from here, never from
``workspace.api``, so nothing imports back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Path, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth

from chat import throttle
from chat.errors import ChatError, InvalidInput, RateLimited
from chat.models import Operator
from chat.untrusted import MAX_ID, UntrustedJSONError, first_unstorable, loads_bounded, unstorable_reason
from workspace.tokens import operator_for_api_token
from workspace.views import activate_operator_language

Holder = TypeVar("Holder")


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


class ThrottledBearer(HttpBearer, Generic[Holder]):
    """``Authorization: Bearer <secret>`` looked up by ``find``. Past ``api_token_ip`` bad secrets from
    one address, every secret is refused (429) for a while, so they cannot be guessed at speed."""

    def find(self, request: HttpRequest, secret: str) -> Holder | None:
        raise NotImplementedError

    def authenticate(self, request: HttpRequest, token: str) -> Holder | None:
        bad_secrets, address = throttle.limit("api_token_ip"), throttle.request_ip(request)
        if wait := throttle.retry_after(bad_secrets, address):
            raise RateLimited(wait)
        holder = self.find(request, token)
        if holder is None:
            throttle.hit(bad_secrets, address)
        return holder


class OperatorTokenAuth(ThrottledBearer[Operator]):
    """``Authorization: Bearer <token>`` for scripts (``manage.py issue_api_token``); no CSRF involved."""

    def find(self, request: HttpRequest, secret: str) -> Operator | None:
        operator = operator_for_api_token(secret)
        activate_operator_language(request, operator)
        return operator


ErrorResponder = Callable[[HttpRequest, str, str, int], HttpResponse]


def answer_errors_plainly(api: NinjaAPI, error: ErrorResponder, *, unauthorized: str) -> None:
    """The error handlers both APIs share, each answering through the API's own ``error`` shape: the
    domain's errors with their status (and ``Retry-After``), a body the untrusted parser refused as
    400, 401 with ``unauthorized``, 404 for what names nothing. Input validation stays per API."""

    def chat_error(request: HttpRequest, exc: ChatError) -> HttpResponse:
        response = error(request, exc.code, exc.message, exc.status)
        if isinstance(exc, RateLimited):
            response["Retry-After"] = str(exc.retry_after)
        return response

    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error(request, "unauthorized", unauthorized, 401)

    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja wraps a body its parser refused in "Cannot parse request body": say what was wrong.
        if isinstance(exc.__cause__, ChatError):
            return chat_error(request, exc.__cause__)
        if isinstance(exc.__cause__, UntrustedJSONError):
            return error(request, "invalid_input", exc.__cause__.message, 400)
        code = "csrf_failed" if exc.status_code == 403 else "http_error"
        return error(request, code, str(exc), exc.status_code)

    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error(request, "not_found", _("Not found."), 404)

    api.exception_handler(ChatError)(chat_error)
    api.exception_handler(AuthenticationError)(authentication_error)
    api.exception_handler(HttpError)(http_error)
    api.exception_handler(Http404)(not_found)


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
