"""What a shop vouched for about a contact (a signed widget customer), for the apps that act on it.

``chat`` does not know who cares: an app registers a hook (orders links the customer's orders to the
contact). Hooks run inside the action that learned the details, so they share its transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class VerifiedDetails:
    """Details a shop vouched for; empty strings for what it did not say."""

    contact_id: int
    customer_id: str = ""
    email: str = ""
    phone: str = ""


VerifiedDetailsHook = Callable[[VerifiedDetails], object]
_hooks: dict[str, VerifiedDetailsHook] = {}


def register_verified_details_hook(name: str, hook: VerifiedDetailsHook) -> None:
    """``hook(details)`` runs whenever a contact gains details a shop vouched for."""
    _hooks[name] = hook


def run_verified_details_hooks(details: VerifiedDetails) -> None:
    for hook in _hooks.values():
        hook(details)
