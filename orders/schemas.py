"""What a shop sends: the shop API's body (and each CSV row, converted to the same shape).

One schema serves the OpenAPI document, the API and the CSV import, so both refuse the same input
with the same per-field messages (:func:`field_errors`). Strings must be strings and counts whole
numbers (no coercion of ``"2"`` or ``true``); money is a decimal string or a number; times are
ISO 8601 with a timezone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, ConfigDict, Field, StrictInt, StrictStr
from pydantic_core import PydanticCustomError

from orders.models import OrderStatus

# Documented in docs/orders.md and the OpenAPI description: more in one batch is refused whole.
MAX_ORDERS_PER_BATCH = 500
MAX_CUSTOMERS_PER_BATCH = 500
MAX_ITEMS_PER_ORDER = 200


def _email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError as exc:
            raise ValueError("not an email address") from exc
    return value


def _web_link(value: str) -> str:
    if value:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except DjangoValidationError as exc:
            raise ValueError("not an http(s) link") from exc
    return value


def _no_control(value: str) -> str:
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise ValueError("control character")
    return value


def _time_text(value: object) -> object:
    """Times are ISO 8601 text: pydantic would also read ``0`` as 1970 (a wrong type, silently stored)."""
    if isinstance(value, str | datetime):
        return value
    raise PydanticCustomError("datetime_type", "Input should be an ISO 8601 string")


def _amount(value: object) -> object:
    """Amounts are decimal text or numbers; ``true`` is not 1.00."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise PydanticCustomError("decimal_type", "Input should be an amount")
    return value


Text = Annotated[StrictStr, AfterValidator(_no_control)]
Email = Annotated[StrictStr, Field(max_length=254), AfterValidator(_email)]
Phone = Annotated[StrictStr, Field(max_length=40), AfterValidator(_no_control)]
Link = Annotated[StrictStr, Field(max_length=500), AfterValidator(_web_link)]
Money = Annotated[Decimal, BeforeValidator(_amount), Field(ge=0, max_digits=12, decimal_places=2)]
Time = Annotated[AwareDatetime, BeforeValidator(_time_text)]


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class CustomerIn(Strict):
    """A shop customer; orders name them by ``id``."""

    id: Annotated[Text, Field(min_length=1, max_length=100)]
    name: Annotated[Text, Field(max_length=200)] = ""
    email: Email = ""
    phone: Phone = ""


class ItemIn(Strict):
    name: Annotated[Text, Field(min_length=1, max_length=300)]
    quantity: Annotated[StrictInt, Field(ge=1, le=100_000)]
    price: Money | None = None
    image_url: Link = ""


class OrderIn(Strict):
    """An order, created or updated by its ``number``. Fields left out keep their stored value;
    ``items``, when given, replace the order's items."""

    number: Annotated[Text, Field(min_length=1, max_length=100)]
    status: OrderStatus
    # When the order entered ``status``; default: the stage time below for that status, else now.
    status_changed_at: Time | None = None
    customer_id: Annotated[Text, Field(max_length=100)] | None = None
    email: Email | None = None
    phone: Phone | None = None
    currency: Annotated[StrictStr, Field(pattern=r"^[A-Z]{3}$")] | None = None
    total: Money | None = None
    placed_at: Time | None = None
    paid_at: Time | None = None
    shipped_at: Time | None = None
    delivered_at: Time | None = None
    # The carrier's promised delivery time: past it and not delivered, the parcel is late.
    promised_delivery_at: Time | None = None
    carrier: Annotated[Text, Field(max_length=100)] | None = None
    tracking_number: Annotated[Text, Field(max_length=100)] | None = None
    tracking_url: Link | None = None
    delivery_address: Annotated[Text, Field(max_length=1000)] | None = None
    items: Annotated[list[ItemIn], Field(max_length=MAX_ITEMS_PER_ORDER)] | None = None


class BatchIn(Strict):
    customers: Annotated[list[CustomerIn], Field(max_length=MAX_CUSTOMERS_PER_BATCH)] = []
    orders: Annotated[list[OrderIn], Field(max_length=MAX_ORDERS_PER_BATCH)] = []


BATCH_EXAMPLE: dict[str, Any] = {
    "customers": [{"id": "C-1001", "name": "Olga Petrova", "email": "olga@example.com", "phone": "+7 912 000-00-01"}],
    "orders": [
        {
            "number": "10234",
            "status": "shipped",
            "customer_id": "C-1001",
            "currency": "EUR",
            "total": "89.90",
            "placed_at": "2026-11-28T10:15:00+01:00",
            "paid_at": "2026-11-28T10:16:00+01:00",
            "shipped_at": "2026-11-30T08:00:00+01:00",
            "promised_delivery_at": "2026-12-04T18:00:00+01:00",
            "carrier": "DHL",
            "tracking_number": "JJD000390007",
            "tracking_url": "https://www.dhl.com/track?id=JJD000390007",
            "delivery_address": "Lenina 1, Moscow",
            "items": [
                {"name": "Wool coat", "quantity": 1, "price": "79.90", "image_url": "https://shop.example/coat.jpg"},
                {"name": "Delivery", "quantity": 1, "price": "10.00"},
            ],
        }
    ],
}


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with the input: where (``orders[2].status``) and what, in the asker's language."""

    field: str
    message: str


def field_path(loc: Sequence[Any]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind == "missing":
        return _("This field is required.")
    if kind == "string_type":
        return _("Must be a string.")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _("Must be a whole number.")
    if kind.startswith("decimal") or kind in ("float_type", "float_parsing"):
        return _("Must be an amount with at most 2 decimals, like 19.90.")
    if kind == "enum":
        return _("Unknown status; use one of: %(statuses)s.") % {"statuses": ", ".join(OrderStatus.values)}
    if kind.startswith("datetime") or kind == "timezone_aware":
        return _("Must be an ISO 8601 time with a timezone, like 2026-11-28T10:15:00+01:00.")
    if kind in ("list_type", "model_type", "dict_type", "model_attributes_type"):
        return _("Must be a list.") if kind == "list_type" else _("Must be an object.")
    if kind == "too_long" and "max_length" in ctx:
        return _("At most %(count)s in one batch; send the rest in another.") % {"count": ctx["max_length"]}
    if kind == "string_too_long":
        return _("At most %(count)s characters.") % {"count": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("Must not be empty.")
    if kind == "string_pattern_mismatch":
        return _("Must be a three-letter ISO 4217 code in capitals, like EUR.")
    if kind in ("greater_than_equal", "greater_than"):
        return _("Must be at least %(limit)s.") % {"limit": ctx.get("ge", ctx.get("gt"))}
    if kind in ("less_than_equal", "less_than"):
        return _("Must be at most %(limit)s.") % {"limit": ctx.get("le", ctx.get("lt"))}
    if kind == "value_error":
        reason = str(ctx.get("error", ""))
        if "email" in reason:
            return _("Not a valid email address.")
        if "link" in reason:
            return _("Must be an http:// or https:// link.")
        if "control" in reason:
            return _("Contains a control character; remove it.")
    return str(error.get("msg", _("Not valid.")))


def field_errors(errors: Iterable[Mapping[str, Any]], *, skip: int = 0) -> list[FieldError]:
    """Pydantic's errors as ours: the path without its first ``skip`` parts, a message per field."""
    return [FieldError(field=field_path(tuple(e.get("loc", ()))[skip:]) or "body", message=_message(e)) for e in errors]
