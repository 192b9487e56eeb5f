"""The visitor's context: which page the shopper is on, where they came from, their device and cart.

The widget reports it (and every page change while the chat is open); a shop may add the cart through
``SwitchboardWidget.setCart``. All of it comes from a stranger's browser, so it is cleaned here into
one bounded shape before it is stored with the conversation and shown to the operator:

    {"page": {"url", "title", "at"}, "pages": [the last PAGES_KEPT pages, newest last],
     "referrer", "language", "device": {"kind", "viewport", "user_agent"},
     "cart": {"items": [{"name", "quantity", "price"}], "total", "currency"} | None, "updated_at"}

Only http(s) addresses are kept (an operator clicks them), every text is cut to a length and checked
for what cannot be stored; the operator's screen renders it all as text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from chat.untrusted import unstorable_reason

PAGES_KEPT = 20
URL_CHARS = 2000
TITLE_CHARS = 300
USER_AGENT_CHARS = 300
CART_ITEMS = 50
ITEM_NAME_CHARS = 200
DEVICE_KINDS = ("phone", "tablet", "desktop")


class ContextError(ValueError):
    """A field of the reported context that cannot be taken, named for the client."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _text(value: object, field: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ContextError(field, "must be a string.")
    if unstorable_reason(value):
        raise ContextError(field, "contains a character that cannot be stored.")
    return value.strip()[:limit]


def _url(value: object, field: str) -> str:
    url = _text(value, field, URL_CHARS)
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ContextError(field, "must be an http(s) address.")
    return url


def _number(value: object, field: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ContextError(field, "must be a number.")
    try:
        number = float(value)
    except ValueError:
        raise ContextError(field, "must be a number.") from None
    if number != number or abs(number) > 1e12:  # NaN or absurd
        raise ContextError(field, "must be a number.")
    return round(number, 2)


def _device(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ContextError("device", "must be an object.")
    kind = _text(value.get("kind"), "device.kind", 16)
    if kind and kind not in DEVICE_KINDS:
        raise ContextError("device.kind", f"must be one of {', '.join(DEVICE_KINDS)}.")
    viewport = _text(value.get("viewport"), "device.viewport", 20)
    user_agent = _text(value.get("user_agent"), "device.user_agent", USER_AGENT_CHARS)
    return {"kind": kind, "viewport": viewport, "user_agent": user_agent}


def _cart(value: object) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ContextError("cart", "must be an object.")
    items = value.get("items", [])
    if not isinstance(items, list) or len(items) > CART_ITEMS:
        raise ContextError("cart.items", f"must be a list of at most {CART_ITEMS} items.")
    cleaned = []
    for n, item in enumerate(items):
        if not isinstance(item, dict):
            raise ContextError(f"cart.items[{n}]", "must be an object.")
        quantity = _number(item.get("quantity", 1), f"cart.items[{n}].quantity")
        cleaned.append(
            {
                "name": _text(item.get("name"), f"cart.items[{n}].name", ITEM_NAME_CHARS),
                "quantity": int(quantity) if quantity is not None else 1,
                "price": _number(item.get("price"), f"cart.items[{n}].price"),
            }
        )
    return {
        "items": cleaned,
        "total": _number(value.get("total"), "cart.total"),
        "currency": _text(value.get("currency"), "cart.currency", 3).upper(),
    }


def clean_report(report: dict[str, Any]) -> dict[str, Any]:
    """One report from the widget, checked whole: ``ContextError`` names the first bad field."""
    page = report.get("page")
    if page is not None and not isinstance(page, dict):
        raise ContextError("page", "must be an object.")
    cleaned: dict[str, Any] = {
        "page": {
            "url": _url((page or {}).get("url"), "page.url"),
            "title": _text((page or {}).get("title"), "page.title", TITLE_CHARS),
        },
        "referrer": _url(report.get("referrer"), "referrer"),
        "language": _text(report.get("language"), "language", 16),
        "device": _device(report.get("device")),
    }
    if "cart" in report:
        cleaned["cart"] = _cart(report.get("cart"))
    return cleaned


def merged(stored: dict[str, Any], report: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The stored context with one cleaned report applied: a new page joins ``pages`` (the last
    PAGES_KEPT), a report without a cart keeps the cart the shop set before."""
    context = dict(stored)
    page = report["page"]
    if page["url"]:
        pages = list(context.get("pages", []))
        if not pages or pages[-1].get("url") != page["url"]:
            pages.append({**page, "at": at.isoformat()})
        elif page["title"]:
            pages[-1] = {**pages[-1], "title": page["title"]}
        context["pages"] = pages[-PAGES_KEPT:]
        context["page"] = context["pages"][-1]
    for key in ("referrer", "language"):
        if report[key] or key not in context:
            context[key] = report[key]
    if any(report["device"].values()) or "device" not in context:
        context["device"] = report["device"]
    if "cart" in report:
        context["cart"] = report["cart"]
    context["updated_at"] = at.isoformat()
    return context
