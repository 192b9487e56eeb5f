"""The widget's HTTP endpoints: a visitor token, who is online, its texts, and the offline form.

They carry no cookies (the visitor is the signed token in the body), so they are CSRF-exempt and
answer any origin: the widget may be embedded on the shop's own domain.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from chat import throttle
from chat.actions import (
    InboundAttachment,
    InboundMessage,
    do_merge_signed_visitor,
    do_receive_inbound,
    do_receive_offline_message,
    do_set_contact_details,
)
from chat.actions._common import check_text
from chat.errors import ChatError, InvalidInput, RateLimited
from chat.files import Refusal, check_file, check_file_size, refusal_reason
from chat.models import Connector
from chat.payloads import message_payload
from chat.texts import greeting
from chat.untrusted import UntrustedJSONError, first_unstorable, loads_bounded, unstorable_reason
from connectors.widget.offline_replies import PAGE_URL_KEY, clean_page_url
from connectors.widget.selectors import anyone_online
from connectors.widget.signing import (
    InvalidToken,
    check_signed_customer,
    issue_token,
    new_visitor_id,
    read_token,
)
from connectors.widget.texts import widget_language, widget_strings

MAX_BODY_BYTES = 16 * 1024
View = Callable[[HttpRequest], HttpResponse]


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Cache-Control"] = "no-store"
    return response


def _error(code: str, message: str, status: int = 400) -> HttpResponse:
    return _cors(JsonResponse({"error": {"code": code, "message": message}}, status=status))


def json_body(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > MAX_BODY_BYTES:
        raise ValueError("The request is too large.")
    try:
        data = loads_bounded(request.body or b"{}")
    except UntrustedJSONError as exc:
        raise ValueError(exc.message) from exc
    if not isinstance(data, dict):
        raise ValueError("The body must be a JSON object.")
    unstorable = first_unstorable(data)
    if unstorable is not None:
        # Refused whole, before anything is stored: the form keeps what the shopper typed.
        field = unstorable[0].removeprefix("$.") or "body"
        raise InvalidInput(_("%(field)s contains a character that cannot be stored; remove it.") % {"field": field})
    return data


def widget_endpoint(*methods: str) -> Callable[[View], View]:
    """CORS, the allowed methods, and one error shape for every widget endpoint."""

    def wrap(view: View) -> View:
        @csrf_exempt
        def handler(request: HttpRequest) -> HttpResponse:
            if request.method == "OPTIONS":
                return _cors(HttpResponse(status=204))
            if request.method not in methods:
                return _error("method_not_allowed", "Method not allowed.", 405)
            try:
                return _cors(view(request))
            except (ValueError, UnicodeDecodeError) as exc:
                return _error("malformed", str(exc) if isinstance(exc, ValueError) else "Not UTF-8.")
            except InvalidToken as exc:
                return _error("invalid_token", str(exc), 403)
            except RateLimited as exc:
                response = _error(exc.code, exc.message, exc.status)
                response["Retry-After"] = str(exc.retry_after)
                return response
            except ChatError as exc:
                return _error(exc.code, exc.message, exc.status)

        handler.__name__ = view.__name__
        handler.__doc__ = view.__doc__
        return handler

    return wrap


def check_rate(request: HttpRequest, checks: list[tuple[str, str]], language: str = "") -> None:
    """Count one try under each (limit name, subject); over any, refuse with 429 in the shopper's
    language before anything is stored (the widget keeps what they typed)."""
    wait = throttle.hit_all([(throttle.limit(name), subject) for name, subject in checks])
    if wait:
        code = "ru" if (language or getattr(request, "LANGUAGE_CODE", "")).lower().startswith("ru") else "en"
        with translation.override(code):
            raise RateLimited(wait)


@widget_endpoint("POST")
def session(request: HttpRequest) -> HttpResponse:
    """``{"token"?, "customer"?}`` -> ``{"token", "visitor_id"}``: keep a valid visitor, else a new one.

    A signed customer (``{"id","name","email","signature"}``) becomes the visitor ``customer:<id>``,
    and their id, name and email are kept on the contact.
    """
    check_rate(request, [("widget_token_ip", throttle.request_ip(request))])
    data = json_body(request)
    if data.get("customer") is not None:
        customer = check_signed_customer(data["customer"])
        visitor_id = customer.visitor_id
        do_set_contact_details(
            connector=Connector.WIDGET,
            sender_id=visitor_id,
            name=customer.name,
            email=customer.email,
            customer_id=customer.customer_id,
            verified=True,
        )
        try:
            earlier_visitor = read_token(data.get("token"))
        except InvalidToken:
            earlier_visitor = ""
        if earlier_visitor:
            # The browser chatted anonymously before the shopper signed in: one person.
            do_merge_signed_visitor(visitor_id=earlier_visitor, customer_visitor_id=visitor_id)
    else:
        try:
            visitor_id = read_token(data.get("token"))
        except InvalidToken:
            visitor_id = new_visitor_id()
    return JsonResponse({"token": issue_token(visitor_id), "visitor_id": visitor_id})


@widget_endpoint("GET")
def status(request: HttpRequest) -> HttpResponse:
    """``{"online", "queue", "greeting"}``: whether anyone serves the queue (``?queue=``, default general)
    and the shop's greeting in ``?lang=`` (shown first in the chat)."""
    queue = request.GET.get("queue", "general")[:50]
    if unstorable_reason(queue):
        raise InvalidInput(_("%(field)s contains a character that cannot be stored; remove it.") % {"field": "queue"})
    return JsonResponse(
        {"online": anyone_online(queue), "queue": queue, "greeting": greeting(request.GET.get("lang", "")[:8])}
    )


@widget_endpoint("GET")
def strings(request: HttpRequest) -> HttpResponse:
    """``{"language", "strings", "max_chars"}``: every text the widget shows, in ``?lang=`` (the shop's
    ``data-lang``, the page's or the browser's language), and the message length limit."""
    language = widget_language(request.GET.get("lang", ""))
    return JsonResponse(
        {
            "language": language,
            "strings": widget_strings(language),
            "max_chars": settings.SWITCHBOARD_MESSAGE_MAX_CHARS,
        }
    )


def _text_field(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string.")
    return value.strip() if key != "text" else value


@widget_endpoint("POST")
def offline(request: HttpRequest) -> HttpResponse:
    """The offline form: ``{"token","name","email"|"phone","text","client_id"?,"language"?,"page"?}``.

    It becomes a queued conversation marked offline, answered later on the given email or phone;
    the reply email links back to ``page`` (the shop page it was sent from; else the ``Origin``).
    A repeat with the same ``client_id`` stores nothing new.
    """
    data = json_body(request)
    visitor_id = read_token(data.get("token"))
    name, email, phone, text = (_text_field(data, key) for key in ("name", "email", "phone", "text"))
    language = _text_field(data, "language")[:8]
    if not email and not phone:
        return _error("invalid_input", "Leave an email or a phone number so we can answer.")
    client_id = _text_field(data, "client_id") or uuid.uuid4().hex
    if len(client_id) > 64:
        raise ValueError("client_id is too long.")
    check_text(text)  # before anything is stored
    check_rate(
        request, [("offline_visitor", visitor_id), ("offline_ip", throttle.request_ip(request))], language=language
    )
    page_url = clean_page_url(data.get("page")) or clean_page_url(request.headers.get("Origin", ""))
    received = do_receive_offline_message(
        connector=Connector.WIDGET,
        sender_id=visitor_id,
        text=text,
        external_id=f"{visitor_id}:{client_id}",
        name=name,
        email=email,
        phone=phone,
        language=language,
        identity_details={PAGE_URL_KEY: page_url} if page_url else {},
    )
    return JsonResponse(
        {"conversation_id": received.conversation.pk, "message_id": received.message.pk},
        status=201 if not received.duplicate else 200,
    )


# The form fields around a file (token, ids, caption) are small; the file's own limit is a setting.
UPLOAD_FIELDS_BYTES = 16 * 1024


def _shopper_language(request: HttpRequest, given: str) -> str:
    return "ru" if (given or getattr(request, "LANGUAGE_CODE", "")).lower().startswith("ru") else "en"


@widget_endpoint("POST")
def upload(request: HttpRequest) -> HttpResponse:
    """A file from the widget (picker, paste, drop, phone camera), as ``multipart/form-data``:
    ``token``, ``file``, ``client_id``, optional ``text`` (a caption), ``conversation_id``, ``language``.

    ``201 {"conversation_id", "message"}`` (``200`` for a repeat of the same ``client_id``); the
    message also reaches the widget's socket like any other. A file over
    ``SWITCHBOARD_ATTACHMENT_MAX_BYTES`` or of a type not in ``SWITCHBOARD_ATTACHMENT_TYPES`` (by its
    bytes) is refused with ``file_refused`` in the shopper's language, and nothing is stored.
    """
    limit = settings.SWITCHBOARD_ATTACHMENT_MAX_BYTES
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    language = _shopper_language(request, request.GET.get("language", ""))
    if declared > limit + UPLOAD_FIELDS_BYTES:
        # Refused before the body is read: a huge upload costs us nothing.
        with translation.override(language):
            return _error("file_refused", refusal_reason(check_file_size("file", declared) or _too_large(limit)), 413)
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise ValueError("Send the file as multipart/form-data.")
    visitor_id = read_token(request.POST.get("token"))
    language = _shopper_language(request, request.POST.get("language", "")[:8])
    upload = request.FILES.get("file")
    if upload is None:
        raise ValueError("file is missing.")
    client_id = request.POST.get("client_id", "")
    if not 0 < len(client_id) <= 64 or unstorable_reason(client_id):
        raise ValueError("client_id must be a string of 1-64 characters, without NUL.")
    raw_conversation = request.POST.get("conversation_id", "")
    conversation_id = int(raw_conversation) if raw_conversation.isascii() and raw_conversation.isdigit() else None
    if raw_conversation and conversation_id is None:
        raise ValueError("conversation_id must be a whole number.")
    caption = request.POST.get("text", "")
    name = (upload.name or "file")[:200]
    with translation.override(language):
        check_rate(
            request,
            [("widget_message_visitor", visitor_id), ("widget_message_ip", throttle.request_ip(request))],
            language=language,
        )
        if caption:
            check_text(caption)
        refusal = check_file_size(name, upload.size or 0)
        content = b"" if refusal else upload.read()
        refusal = refusal or check_file(name, content)
        if refusal is not None:
            return _error("file_refused", refusal_reason(refusal), 400)
        received = do_receive_inbound(
            InboundMessage(
                connector=Connector.WIDGET,
                sender_id=visitor_id,
                text=caption,
                language=language,
                external_id=f"{visitor_id}:{client_id}",
                attachments=[InboundAttachment(name=name, content=content, content_type=upload.content_type or "")],
                conversation_id=conversation_id,
            )
        )
    return JsonResponse(
        {
            "conversation_id": received.conversation.pk,
            "message": message_payload(received.message, for_shopper=True),
            "client_id": client_id,
        },
        status=200 if received.duplicate else 201,
    )


def _too_large(limit: int) -> Refusal:
    return Refusal(name="file", reason="too_large", limit_bytes=limit)
