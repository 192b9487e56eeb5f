"""The VK Callback API endpoint: confirm, authenticate, store, answer ``ok``.

VK pauses a server that keeps failing, so everything we store or deliberately ignore is answered
``ok``; only a wrong secret (403) or an unreadable body (400/413) is refused. The secret is in the
body, so it is looked for in the raw bytes first: a stranger's body is never parsed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from chat.models import Connector
from connectors.http import BadBody, read_body, read_json_object
from connectors.inbox import store_update


def _event_key(event: dict[str, object]) -> str:
    """VK's ``event_id``; an event without one (old API versions) is keyed by its content."""
    event_id = event.get("event_id")
    if isinstance(event_id, str) and event_id:
        return event_id[:128]
    content = {key: value for key, value in event.items() if key != "secret"}
    return "sha256:" + hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


# The "secret" members of a body, as VK writes them (a plain JSON string without escapes).
_SECRET_MEMBER = re.compile(rb'"secret"\s*:\s*"([^"\\]{0,256})"')


def _may_be_ours(body: bytes) -> bool:
    """Could the body carry our secret (or be a confirmation, which has none)? Checked unparsed."""
    expected = settings.VK_CALLBACK_SECRET
    if any(_same(candidate.decode("utf-8", "replace"), expected) for candidate in _SECRET_MEMBER.findall(body)):
        return True
    return b'"confirmation"' in body


def _same(given: object, expected: str) -> bool:
    return bool(expected) and isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


@csrf_exempt
@require_POST
def callback(request: HttpRequest) -> HttpResponse:
    try:
        body = read_body(request)
        if not _may_be_ours(body):
            return JsonResponse({"error": "Wrong or missing secret."}, status=403)
        event = read_json_object(request, body)
    except BadBody as exc:
        return exc.response()
    kind = event.get("type")
    if not isinstance(kind, str) or not kind:
        return JsonResponse({"error": "The event has no type."}, status=400)
    group_id = str(event.get("group_id", ""))
    if settings.VK_GROUP_ID and group_id != str(settings.VK_GROUP_ID):
        return JsonResponse({"error": "This is not our community."}, status=403)
    if kind == "confirmation":
        if not settings.VK_CONFIRMATION_CODE:
            return JsonResponse({"error": "VK_CONFIRMATION_CODE is not configured."}, status=403)
        return HttpResponse(settings.VK_CONFIRMATION_CODE, content_type="text/plain")
    if not _same(event.get("secret"), settings.VK_CALLBACK_SECRET):
        return JsonResponse({"error": "Wrong or missing secret."}, status=403)
    stored = {key: value for key, value in event.items() if key != "secret"}
    store_update(connector=Connector.VK, update_id=_event_key(event), kind=kind, payload=stored)
    return HttpResponse("ok", content_type="text/plain")
