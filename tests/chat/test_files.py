"""What a file is, by its bytes: the decision that keeps markup from ever showing in place."""

from __future__ import annotations

import pytest

from chat.files import safe_display_name, shows_inline, sniff_content_type
from tests.connectors.test_attachments import PNG

pytestmark = [pytest.mark.embedded]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7 receipt", "application/pdf"),
        (b"PK\x03\x04\x14\x00", "application/zip"),
        (b"\x00\x00\x00\x18ftypheic", "image/heic"),
        (b"Order 1043, size M", "text/plain"),
        ("Заказ 1043".encode(), "text/plain"),
        (b"  \n<!DOCTYPE html><p>hi", "text/html"),
        (b"\xef\xbb\xbf<html>", "text/html"),
        (b"Just a note <script>alert(1)</script>", "text/html"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
        (b"<SVG onload=alert(1)>", "image/svg+xml"),
        ("<svg/onload=1>".encode("utf-16"), "image/svg+xml"),
        (b"\x00\x01\x02binary", "application/octet-stream"),
        # A JPEG start followed by markup is still served as an image (nosniff keeps it one).
        (b"\xff\xd8\xff<html><script>", "image/jpeg"),
    ],
)
def test_the_type_comes_from_the_bytes(head: bytes, expected: str) -> None:
    assert sniff_content_type(head) == expected


@pytest.mark.parametrize("kind", ["image/svg+xml", "text/html", "application/pdf", "application/octet-stream", ""])
def test_only_raster_images_show_inline(kind: str) -> None:
    assert not shows_inline(kind)
    assert all(shows_inline(t) for t in ("image/png", "image/jpeg", "image/gif", "image/webp"))


@pytest.mark.parametrize(
    ("name", "expected"),
    [("../../etc/passwd", "passwd"), ("C:\\x\\evil.html", "evil.html"), ("a\r\nb.pdf", "ab.pdf"), ("...", "file")],
)
def test_display_names_lose_paths_and_control_characters(name: str, expected: str) -> None:
    assert safe_display_name(name) == expected
