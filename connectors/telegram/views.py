"""The Telegram webhook: authenticate, store, answer 200; the work happens after commit."""

from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from chat.models import Connector
from chat.untrusted import MAX_ID
from connectors.http import BadBody, read_json_object
from connectors.inbox import store_update
from connectors.telegram.inbound import update_kind

logger = logging.getLogger(__name__)

SECRET_HEADER = "HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN"


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    expected = settings.TELEGRAM_WEBHOOK_SECRET
    given = request.META.get(SECRET_HEADER, "")
    if not settings.TELEGRAM_BOT_TOKEN or not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return JsonResponse({"error": "Wrong or missing secret token."}, status=403)
    try:
        update = read_json_object(request)
    except BadBody as exc:
        return exc.response()
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or not 0 <= update_id <= MAX_ID:
        # Telegram never sends this; answering 400 tells whoever did, and keeps it out of the store.
        return JsonResponse({"error": "The update has no integer update_id."}, status=400)
    store_update(connector=Connector.TELEGRAM, update_id=str(update_id), kind=update_kind(update), payload=update)
    return JsonResponse({"ok": True})
