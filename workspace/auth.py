"""Sign-in throttling for the workspace and the admin: failed passwords per login name and per address.

Past ``login_user`` failures for one name, or ``login_ip`` failures from one address, within the
window, every sign-in is refused (the right password too) until the window ends, with a message
saying so. Counters are ``chat.throttle``'s, shared by every process through the cache (Redis).
The backend refuses before any password is checked, so the lock holds on every path that calls
``authenticate()``; the forms say why instead of "wrong password".
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import ngettext

from chat import throttle


def _name(username: object) -> str:
    return str(username or "").strip().casefold()


def lockout_seconds(request: HttpRequest | None, username: object) -> float:
    """Seconds until this name, from this address, may try to sign in again (0: now)."""
    if request is None:
        return 0.0
    return max(
        throttle.retry_after(throttle.limit("login_user"), _name(username)),
        throttle.retry_after(throttle.limit("login_ip"), throttle.request_ip(request)),
    )


def lockout_message(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return ngettext(
        "Too many failed sign-ins. Try again in %(minutes)d minute.",
        "Too many failed sign-ins. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class ThrottledModelBackend(ModelBackend):
    """Django's password check, refused outright while the name or the address is locked out."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if lockout_seconds(request, username or kwargs.get("username")):
            raise PermissionDenied("Locked out after too many failed sign-ins.")
        return super().authenticate(request, username=username, password=password, **kwargs)


def record_failure(sender: object, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any) -> None:
    """``user_login_failed``: one more failure for the name and the address."""
    if request is None:
        return
    throttle.hit(throttle.limit("login_user"), _name(credentials.get("username")))
    throttle.hit(throttle.limit("login_ip"), throttle.request_ip(request))


def forget_failures(sender: object, request: HttpRequest | None, user: Any, **_: Any) -> None:
    """``user_logged_in``: the owner of the name is back; their earlier typos no longer count."""
    throttle.reset(throttle.limit("login_user"), _name(user.get_username()))


class _LockoutCheck:
    request: HttpRequest | None
    cleaned_data: dict[str, Any]

    def check_lockout(self) -> None:
        seconds = lockout_seconds(self.request, self.cleaned_data.get("username"))
        if seconds:
            raise forms.ValidationError(lockout_message(seconds), code="locked_out")


class ThrottledAuthenticationForm(_LockoutCheck, AuthenticationForm):
    """The workspace sign-in form: a locked-out name gets the lockout message, not "wrong password"."""

    def clean(self) -> dict[str, Any]:
        self.check_lockout()
        return super().clean()


class ThrottledAdminAuthenticationForm(_LockoutCheck, AdminAuthenticationForm):
    """The admin's sign-in form, with the same lockout."""

    def clean(self) -> dict[str, Any]:
        self.check_lockout()
        return super().clean()
