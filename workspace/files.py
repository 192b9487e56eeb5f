"""Stored files (attachments, questionnaire photos), served only to operators who may read the chat.

Shoppers' files are hostile until shown otherwise: a file is shown in place only when its *bytes* are a
raster image (``chat.files.INLINE_IMAGE_TYPES``); everything else, HTML and SVG included, is a download
of type ``application/octet-stream``. Every response carries ``nosniff`` and a ``sandbox`` CSP, so even
a browser that rendered one would run it in an opaque origin with no access to the workspace session.

With ``SWITCHBOARD_ATTACHMENT_ORIGIN`` set, the access-checked URL answers with a redirect to that
origin carrying a signed link valid for a few minutes; the file origin holds no session cookie.
Every refusal is the same 404, so nobody learns which ids exist.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from chat.errors import ChatError
from chat.files import (
    SHOPPER_FILE_SALT,
    SHOPPER_LINK_SECONDS,
    SNIFF_BYTES,
    safe_display_name,
    shows_inline,
    sniff_content_type,
)
from chat.models import Attachment, Operator, Questionnaire
from workspace.selectors import access_attachment, access_questionnaire_photo

SIGNED_LINK_SALT = "workspace.files.signed-link"

SIGNED_LINK_SECONDS = 300
SANDBOX_POLICY = "sandbox; default-src 'none'"


def file_response(file: FieldFile, *, name: str, detected_type: str) -> FileResponse:
    """The file with headers that keep its content from ever acting in our origin."""
    try:
        handle = file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    inline = shows_inline(detected_type)
    response = FileResponse(handle, content_type=detected_type if inline else "application/octet-stream")
    # Never None: safe_display_name always gives a non-empty name, which the stubs cannot know.
    response["Content-Disposition"] = cast(str, content_disposition_header(not inline, safe_display_name(name)))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_POLICY
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, max-age=300"
    return response


def _operator(request: HttpRequest) -> Operator:
    if not request.user.is_authenticated:
        raise Http404
    operator = Operator.objects.filter(user=request.user).first()
    if operator is None:
        raise Http404
    return operator


def _elsewhere(request: HttpRequest, what: dict[str, Any]) -> HttpResponse | None:
    """A redirect to the file origin when one is set and this request is not already there."""
    origin = settings.SWITCHBOARD_ATTACHMENT_ORIGIN
    if not origin or urlsplit(origin).netloc == request.get_host():
        return None
    token = signing.dumps(what, salt=SIGNED_LINK_SALT)
    response = HttpResponseRedirect(origin + reverse("signed-file", args=[token]))
    response["Cache-Control"] = "private, no-store"
    return response


def _attachment(attachment_id: int, operator: Operator) -> Attachment:
    try:
        return access_attachment(attachment_id=attachment_id, operator=operator)
    except ChatError as exc:
        raise Http404 from exc


def _questionnaire(conversation_id: int, operator: Operator) -> Questionnaire:
    try:
        return access_questionnaire_photo(conversation_id=conversation_id, operator=operator)
    except ChatError as exc:
        raise Http404 from exc


def _serve_attachment(attachment: Attachment) -> FileResponse:
    return file_response(attachment.file, name=attachment.name, detected_type=attachment.detected_type)


def _serve_photo(questionnaire: Questionnaire) -> FileResponse:
    try:
        with questionnaire.photo.open("rb") as handle:
            detected = sniff_content_type(handle.read(SNIFF_BYTES))
    except FileNotFoundError as exc:
        raise Http404 from exc
    name = f"questionnaire-{questionnaire.conversation_id}-photo"
    return file_response(questionnaire.photo, name=name, detected_type=detected)


@require_safe
def attachment(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    operator = _operator(request)
    found = _attachment(attachment_id, operator)
    return _elsewhere(request, {"a": attachment_id, "o": operator.pk}) or _serve_attachment(found)


@require_safe
def questionnaire_photo(request: HttpRequest, conversation_id: int) -> HttpResponseBase:
    operator = _operator(request)
    found = _questionnaire(conversation_id, operator)
    return _elsewhere(request, {"q": conversation_id, "o": operator.pk}) or _serve_photo(found)


@require_safe
def signed_file(request: HttpRequest, token: str) -> HttpResponseBase:
    """The file origin's side: a link signed minutes ago by the access-checked view, re-checked now."""
    origin = settings.SWITCHBOARD_ATTACHMENT_ORIGIN
    if not origin or urlsplit(origin).netloc != request.get_host():
        raise Http404
    try:
        what = signing.loads(token, salt=SIGNED_LINK_SALT, max_age=SIGNED_LINK_SECONDS)
    except signing.BadSignature as exc:
        raise Http404 from exc
    operator = Operator.objects.filter(pk=what.get("o")).first()
    if operator is None:
        raise Http404
    if "a" in what:
        return _serve_attachment(_attachment(int(what["a"]), operator))
    return _serve_photo(_questionnaire(int(what["q"]), operator))


@require_safe
def shopper_file(request: HttpRequest, token: str) -> HttpResponseBase:
    """A file of the shopper's own conversation, by the signed link their widget was given; never a
    note's file. The same sandboxed, download-unless-an-image response operators get."""
    try:
        what = signing.loads(token, salt=SHOPPER_FILE_SALT, max_age=SHOPPER_LINK_SECONDS)
    except signing.BadSignature as exc:
        raise Http404 from exc
    found = Attachment.objects.filter(pk=what.get("a"), message__is_note=False).first()
    if found is None:
        raise Http404
    response = _serve_attachment(found)
    response["Access-Control-Allow-Origin"] = "*"  # the widget lives on the shop's own domain
    return response
