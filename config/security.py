"""HTTP hardening shared by every page: the Content-Security-Policy, and logs kept free of secrets.

The policy allows scripts and styles from our own origin only, plus a per-response nonce for the few
elements that must be inline (the widget's ``<style>``, which copies the nonce of its ``<script>`` tag).
No page has inline script or ``on*`` handlers, so an injected ``<script>`` or attribute never runs.
A view that needs another policy (the questionnaire framed on the shop's site) says so with
:func:`csp_override`; a response that already carries a policy (attachments: ``sandbox``) keeps it.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse

CSP_HEADER = "Content-Security-Policy"
CSP_REPORT_ONLY_HEADER = "Content-Security-Policy-Report-Only"

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


def base_policy(nonce: str) -> dict[str, list[str]]:
    """The workspace's policy: nothing from elsewhere, nothing inline without this response's nonce."""
    extra_images = [origin for origin in [getattr(settings, "SWITCHBOARD_ATTACHMENT_ORIGIN", "")] if origin]
    return {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{nonce}'"],
        "style-src": ["'self'", f"'nonce-{nonce}'"],
        "img-src": ["'self'", "data:", "blob:", *extra_images],
        # 'self' covers ws:// and wss:// to the same host (CSP level 3).
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }


Sources = list[str] | Callable[[], list[str]]


def csp_override(**directives: Sources) -> Callable[[ViewFunc], ViewFunc]:
    """Replace whole directives for one view: ``@csp_override(frame_ancestors=shop_frame_ancestors)``.

    A callable is asked on every response, so it follows the settings of the moment.
    """

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = view(request, *args, **kwargs)
            response.csp_override = {  # type: ignore[attr-defined]
                name.replace("_", "-"): sources() if callable(sources) else sources
                for name, sources in directives.items()
            }
            return response

        return wrapped  # type: ignore[return-value]

    return decorator


def shop_frame_ancestors() -> list[str]:
    """Who may frame the pages the widget opens inside the shop's site (``WIDGET_ALLOWED_ORIGINS``)."""
    return ["'self'", *settings.WIDGET_ALLOWED_ORIGINS] if settings.WIDGET_ALLOWED_ORIGINS else ["*"]


def render_policy(policy: dict[str, list[str]]) -> str:
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    """Gives each request a nonce (``request.csp_nonce``) and each response the policy using it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(18)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        if CSP_HEADER in response or CSP_REPORT_ONLY_HEADER in response:
            return response
        policy = base_policy(nonce)
        policy.update(getattr(response, "csp_override", {}))
        header = CSP_REPORT_ONLY_HEADER if settings.CSP_REPORT_ONLY else CSP_HEADER
        response[header] = render_policy(policy)
        return response


# --- Logs -----------------------------------------------------------------------------------------

# A Telegram bot token inside a Bot API URL (httpx logs every request URL at INFO).
_BOT_TOKEN_IN_URL = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")
# Query parameters that carry credentials (VK file URLs, widget socket URLs).
_SECRET_PARAM = re.compile(r"(?i)\b(access_token|token|secret|key|sig|signature|password)=[^&\s'\"]+")
SECRET_SETTINGS = (
    "SECRET_KEY",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "VK_GROUP_TOKEN",
    "VK_CALLBACK_SECRET",
    "WIDGET_CUSTOMER_SECRET",
    "EMAIL_HOST_PASSWORD",
)


def redact(text: str) -> str:
    """The text with every configured secret and every credential-looking URL part replaced by ``***``."""
    for name in SECRET_SETTINGS:
        value = str(getattr(settings, name, "") or "")
        if len(value) >= 6:
            text = text.replace(value, "***")
    text = _BOT_TOKEN_IN_URL.sub("/bot***", text)
    return _SECRET_PARAM.sub(lambda match: f"{match.group(1)}=***", text)


class RedactSecretsFilter(logging.Filter):
    """Formats each record once and redacts it, so no handler writes a token, whatever logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
