"""Who a widget visitor is: a signed token, and a shop's signed customer.

The token carries only the visitor id; it is signed with the project's SECRET_KEY under a salt of
its own, so a token can never be replayed as any other signed value (and vice versa).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing

VISITOR_TOKEN_SALT = "switchboard.widget.visitor"
CUSTOMER_VISITOR_PREFIX = "customer:"


class InvalidToken(Exception):
    """The token was forged, tampered with, expired or malformed."""


def new_visitor_id() -> str:
    return uuid.uuid4().hex


def issue_token(visitor_id: str) -> str:
    return signing.dumps({"v": visitor_id}, salt=VISITOR_TOKEN_SALT, compress=False)


def read_token(token: object) -> str:
    """The visitor id inside a token, or InvalidToken."""
    if not isinstance(token, str) or not token or len(token) > 512:
        raise InvalidToken("No token.")
    try:
        data = signing.loads(token, salt=VISITOR_TOKEN_SALT, max_age=settings.WIDGET_TOKEN_MAX_AGE_DAYS * 24 * 3600)
    except signing.BadSignature as exc:  # SignatureExpired is a BadSignature too
        raise InvalidToken(str(exc)) from exc
    visitor = data.get("v") if isinstance(data, dict) else None
    if not isinstance(visitor, str) or not visitor:
        raise InvalidToken("The token names no visitor.")
    return visitor


@dataclass(frozen=True)
class SignedCustomer:
    """A shop's logged-in customer, vouched for by the shop's HMAC."""

    customer_id: str
    name: str
    email: str

    @property
    def visitor_id(self) -> str:
        # One visitor per customer: their chats follow them across devices and browsers.
        return f"{CUSTOMER_VISITOR_PREFIX}{self.customer_id}"


def customer_canonical_string(customer_id: str, name: str, email: str) -> str:
    """What the shop signs: id, name and email joined by newlines, exactly as passed."""
    return f"{customer_id}\n{name}\n{email}"


def sign_customer(customer_id: str, name: str, email: str, secret: str | None = None) -> str:
    """The hex HMAC-SHA256 a shop puts in ``data-customer-signature`` (also used by tests, demo)."""
    key = (secret if secret is not None else settings.WIDGET_CUSTOMER_SECRET).encode()
    message = customer_canonical_string(customer_id, name, email).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def check_signed_customer(data: Any) -> SignedCustomer:
    """Validate an untrusted ``{"id", "name", "email", "signature"}``; InvalidToken if it is not genuine."""
    if not settings.WIDGET_CUSTOMER_SECRET:
        raise InvalidToken("Signed customers are not enabled (WIDGET_CUSTOMER_SECRET is empty).")
    if not isinstance(data, dict):
        raise InvalidToken("The customer must be an object.")
    fields = {key: data.get(key, "") for key in ("id", "name", "email", "signature")}
    if not all(isinstance(value, str) for value in fields.values()) or not fields["id"]:
        raise InvalidToken("The customer needs a string id, name, email and signature.")
    if len(fields["id"]) > 100 - len(CUSTOMER_VISITOR_PREFIX):
        raise InvalidToken("The customer id is too long.")
    expected = sign_customer(fields["id"], fields["name"], fields["email"])
    if not hmac.compare_digest(expected, fields["signature"].lower()):
        raise InvalidToken("The customer signature does not match.")
    return SignedCustomer(customer_id=fields["id"], name=fields["name"], email=fields["email"])
