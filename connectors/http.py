"""Reading webhook bodies safely: a size cap (413) before JSON parsing (400), and a depth cap."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse

from chat.untrusted import UntrustedJSONError, loads_bounded

MAX_BODY_BYTES = 1024 * 1024


class BadBody(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> JsonResponse:
        return JsonResponse({"error": self.message}, status=self.status)


def read_body(request: HttpRequest) -> bytes:
    """The body, refused with 413 past the cap before it is read whole."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        raise BadBody(413, "The body is over 1 MB.")
    try:
        body = request.body
    except RequestDataTooBig as exc:
        raise BadBody(413, "The body is over 1 MB.") from exc
    if len(body) > MAX_BODY_BYTES:
        raise BadBody(413, "The body is over 1 MB.")
    return body


def read_json_object(request: HttpRequest, body: bytes | None = None) -> dict[str, Any]:
    """The body as a JSON object; not JSON, nested too deeply or not an object is a 400."""
    try:
        data = loads_bounded(read_body(request) if body is None else body)
    except UntrustedJSONError as exc:
        raise BadBody(400, exc.message) from exc
    if not isinstance(data, dict):
        raise BadBody(400, "The body is not a JSON object.")
    return data
