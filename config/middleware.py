"""HTTP answers for a database that is briefly away."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Seconds a client (Telegram, VK, the workspace) is asked to wait before trying again.
RETRY_AFTER_SECONDS = 5


class DatabaseUnavailableMiddleware:
    """PostgreSQL down or unreachable: 503 with ``Retry-After``, never a success.

    Telegram and VK send an update again only after an error status, so nothing may answer ``ok``
    for what was not stored; a 503 says "later" to them and to the workspace alike, instead of a
    bare 500 traceback page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("Database unavailable for %s %s: %s", request.method, request.path, exception)
        response = JsonResponse(
            {
                "error": {
                    "code": "unavailable",
                    "message": _("The service is briefly unavailable. Try again in a few seconds."),
                }
            },
            status=503,
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
