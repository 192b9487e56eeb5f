"""Files strangers send us: what they really are, whether we accept them, and where they are stored.

A sender's file name and claimed MIME type are metadata only. What a file *is* comes from its first
bytes (:func:`sniff_content_type`); only a short list of raster images is ever shown inline, and
storage names are random so nobody can guess another conversation's files.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

# The only types a browser may render in place: pixels, no script (SVG is markup, so it is not here).
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

SNIFF_BYTES = 1024

# The shopper's link to a file of their conversation is a capability (the widget has no session):
# ``{"a": attachment id}`` signed with this salt, afresh with every payload, and refused once older
# than SHOPPER_LINK_SECONDS (a replay signs again).
SHOPPER_FILE_SALT = "chat.files.shopper-link"
SHOPPER_LINK_SECONDS = 7 * 24 * 3600

# (signature, offset, type): checked in order against a file's first bytes.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"%PDF-", 0, "application/pdf"),
    (b"PK\x03\x04", 0, "application/zip"),
)
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"mif1", b"msf1")
# What makes a browser treat text as a page (the WHATWG sniffing patterns, plus SVG/XML roots).
_MARKUP_STARTS = (
    "<!doctype html",
    "<html",
    "<head",
    "<body",
    "<script",
    "<iframe",
    "<style",
    "<title",
    "<div",
    "<table",
    "<font",
    "<a",
    "<b",
    "<br",
    "<p",
    "<h1",
    "<!--",
    "<?xml",
)
_MARKUP_ANYWHERE = ("<script", "<html", "<iframe", "<svg", "javascript:", "onload=", "onerror=")


def sniff_content_type(head: bytes) -> str:
    """The type a file's first bytes show; ``application/octet-stream`` when they show nothing we know."""
    for signature, offset, content_type in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return content_type
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "image/heic" if head[8:12] in _HEIF_BRANDS else "video/mp4"
    text = _as_text(head)
    if text is None:
        return "application/octet-stream"
    lowered = text.lstrip("\ufeff \t\r\n").lower()
    if "<svg" in lowered:
        return "image/svg+xml"
    if lowered.startswith(_MARKUP_STARTS) or any(marker in lowered for marker in _MARKUP_ANYWHERE):
        return "text/html"
    return "text/plain"


def _as_text(head: bytes) -> str | None:
    """The bytes as text if they look like text (UTF-8 or UTF-16 with a mark, no NUL), else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return head.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in head:
        return None
    # The sample may end inside a multi-byte character: ignore at most that one at the end.
    for cut in range(4):
        try:
            return head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return None


def shows_inline(detected_type: str) -> bool:
    return detected_type in INLINE_IMAGE_TYPES


def random_storage_name(folder: str, extension: str = "") -> str:
    """``<folder>/<32 random hex digits>[.ext]``: no conversation id, time or sender's name to guess from."""
    suffix = f".{extension}" if extension.isalnum() else ""
    return f"{folder}/{secrets.token_hex(16)}{suffix}"


def safe_display_name(name: str, fallback: str = "file") -> str:
    """A sender's file name fit for a Content-Disposition header: no path, no control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    return name[:200] or fallback


@dataclass(frozen=True)
class OutgoingFile:
    """A file an operator sends the shopper, checked by :func:`check_file` first."""

    name: str
    content: bytes
    content_type: str = ""


@dataclass(frozen=True)
class Refusal:
    """Why a file was not accepted; ``reason`` is ``too_large`` or ``type``."""

    name: str
    reason: str
    detected_type: str = ""
    limit_bytes: int = 0


def check_file_size(name: str, size: int, cap: int | None = None) -> Refusal | None:
    """Refuse a file over ``SWITCHBOARD_ATTACHMENT_MAX_BYTES`` or the platform's own download ``cap``
    (before downloading it, when the size is known)."""
    limit = (
        settings.SWITCHBOARD_ATTACHMENT_MAX_BYTES
        if cap is None
        else min(cap, settings.SWITCHBOARD_ATTACHMENT_MAX_BYTES)
    )
    if size > limit:
        return Refusal(name=name, reason="too_large", limit_bytes=limit)
    return None


def check_file(name: str, content: bytes) -> Refusal | None:
    """Refuse a file over the size limit or whose sniffed type is not in ``SWITCHBOARD_ATTACHMENT_TYPES``."""
    if refusal := check_file_size(name, len(content)):
        return refusal
    detected = sniff_content_type(content[:SNIFF_BYTES])
    allowed = settings.SWITCHBOARD_ATTACHMENT_TYPES
    if "*" not in allowed and detected not in allowed:
        return Refusal(name=name, reason="type", detected_type=detected)
    return None


def refusal_note(refusal: Refusal) -> str:
    """The line stored in the message instead of the file, so operators see what was sent."""
    if refusal.reason == "too_large":
        return f"[file {refusal.name} not accepted: larger than {_megabytes(refusal.limit_bytes)} MB]"
    return f"[file {refusal.name} not accepted: {refusal.detected_type} files are not allowed]"


def refusal_reason(refusal: Refusal) -> str:
    """Why one file was not accepted, in the active language."""
    if refusal.reason == "too_large":
        return _("The file %(name)s was not accepted: it is larger than %(mb)s MB.") % {
            "name": refusal.name,
            "mb": _megabytes(refusal.limit_bytes),
        }
    return _("The file %(name)s was not accepted: this type of file is not allowed.") % {"name": refusal.name}


def refusal_notice(refusals: list[Refusal], language: str) -> str:
    """What the shopper is told, in their language, about the files that were not accepted."""
    code = "ru" if language.lower().startswith("ru") else "en"
    with translation.override(code):
        lines = [refusal_reason(refusal) for refusal in refusals]
        lines.append(_("Your message has been passed on. Photos (JPEG, PNG) and PDF documents are welcome."))
        return "\n".join(lines)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.3g}"
