"""Shared pieces of the actions: time, retries on lock conflicts, input checks."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import ParamSpec, Protocol, TypeVar

from django.core.files.base import ContentFile
from django.db import OperationalError
from django.utils import timezone
from django.utils.translation import gettext as _

from chat.errors import InvalidInput
from chat.files import SNIFF_BYTES, sniff_content_type
from chat.limits import is_over_message_limit, message_max_chars
from chat.models import Attachment, Message
from chat.untrusted import has_lone_surrogate

P = ParamSpec("P")
R = TypeVar("R")


def now() -> datetime:
    return timezone.now()


def retry_on_conflict(func: Callable[P, R]) -> Callable[P, R]:
    """Run again after a deadlock or serialization failure: PostgreSQL picked us as the victim."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(5):
            try:
                return func(*args, **kwargs)
            except OperationalError as exc:
                text = str(exc).lower()
                retryable = "deadlock" in text or "could not serialize" in text or "database is locked" in text
                if not retryable or attempt == 4:
                    raise
                time.sleep(0.01 * (2**attempt))
        raise AssertionError("unreachable")

    return wrapper


def check_text(text: str, *, allow_empty: bool = False) -> str:
    """Validate message text from anyone. It is stored exactly as given, never trimmed or escaped."""
    if not isinstance(text, str):
        raise InvalidInput("Message text must be a string.")
    if not allow_empty and not text.strip():
        raise InvalidInput("The message is empty.")
    if is_over_message_limit(text):
        raise InvalidInput(f"The message is longer than {message_max_chars()} characters.")
    if "\x00" in text:
        raise InvalidInput("The message contains a NUL character.")
    if has_lone_surrogate(text):
        # Half of a broken emoji pair: it can be neither stored nor shown, so say so instead of failing.
        raise InvalidInput(_("The message contains a broken character; remove it and send again."))
    return text


class FileContent(Protocol):
    """A file as bytes with the sender's name and claimed type (a shopper's or an operator's)."""

    @property
    def name(self) -> str: ...
    @property
    def content(self) -> bytes: ...
    @property
    def content_type(self) -> str: ...


def store_files(message: Message, files: Sequence[FileContent]) -> None:
    """Keep each file with its message: a random storage name, the type its bytes show (which
    decides how it is ever served), the sender's name and claim as metadata only."""
    for item in files:
        Attachment.objects.create(
            message=message,
            file=ContentFile(item.content, name=item.name),
            name=item.name[:200],
            content_type=item.content_type[:100],
            detected_type=sniff_content_type(item.content[:SNIFF_BYTES]),
            size=len(item.content),
        )
