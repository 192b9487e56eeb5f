"""A shopper's files in the operator's Chromium: pictures show, anything else never runs as our page."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import override_settings
from playwright.sync_api import Download, Page, expect

from chat.actions import InboundAttachment, InboundMessage, do_receive_inbound
from chat.models import Operator
from tests.browser.conftest import in_thread, save_screenshot, wait_for
from tests.browser.test_workspace import online, operator_logs_in
from tests.connectors.test_attachments import PNG

pytestmark = [pytest.mark.browser]

# What a shopper's page would do with the operator's session if it ever ran in the workspace origin.
EVIL_HTML = b"""<!doctype html><html><body><script>
fetch('/api/me?from=evil').then(r => r.text()).then(t => fetch('/api/me?from=evil&leak=' + encodeURIComponent(t)));
document.cookie = 'pwned=1; path=/';
try { localStorage.setItem('pwned', '1'); } catch (e) {}
if (window.opener) { try { window.opener.__pwned = 1; } catch (e) {} }
</script></body></html>"""


@pytest.fixture(scope="module", autouse=True)
def media_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Files go to a throwaway folder that this process and the live server (started after) share."""
    root = str(tmp_path_factory.mktemp("media"))
    before = os.environ.get("MEDIA_ROOT")
    os.environ["MEDIA_ROOT"] = root
    with override_settings(MEDIA_ROOT=root):
        yield
    if before is None:
        os.environ.pop("MEDIA_ROOT", None)
    else:
        os.environ["MEDIA_ROOT"] = before


def test_an_html_attachment_is_a_download_that_runs_nothing_and_a_photo_is_a_thumbnail(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    operator = online(make_operator, "Anna")
    page = new_page()
    requests: list[str] = []
    page.context.on("request", lambda request: requests.append(request.url))
    downloads: list[Download] = []

    def downloaded(download: Download) -> None:
        downloads.append(download)

    page.context.on("page", lambda opened: opened.on("download", downloaded))
    page.on("download", downloaded)
    operator_logs_in(page, operator)

    in_thread(
        do_receive_inbound,
        InboundMessage(
            connector="telegram",
            sender_id="tg-olga",
            sender_name="Olga",
            text="Here is my order page and a photo",
            attachments=[
                InboundAttachment(name="order.html", content=EVIL_HTML, content_type="text/html"),
                InboundAttachment(name="dress.png", content=PNG, content_type="image/png"),
            ],
        ),
    )
    log = page.get_by_role("log", name="Chat with Olga")
    thumbnail = log.get_by_role("img", name="dress.png")
    expect(thumbnail).to_be_visible()
    wait_for(lambda: page.evaluate("(img) => img.complete && img.naturalWidth", thumbnail.element_handle()) == 1)

    link = log.get_by_role("link", name="order.html")
    expect(link).to_be_visible()
    link.click()
    for _ in range(200):  # Playwright delivers its events only while we wait through it
        if downloads:
            break
        page.wait_for_timeout(100)
    assert not [url for url in requests if "from=evil" in url], "the shopper's script ran in the workspace origin"
    [download] = downloads
    assert download.suggested_filename == "order.html"
    with open(download.path(), "rb") as saved:
        assert saved.read() == EVIL_HTML  # the operator gets the file exactly as sent
    save_screenshot(page, "workspace-attachments")

    assert not [c for c in page.context.cookies() if c["name"] == "pwned"]
    assert page.evaluate("localStorage.getItem('pwned')") is None
    assert page.evaluate("window.__pwned") is None
    # The operator's own session still works and is theirs.
    me: Any = page.evaluate("fetch('/api/me').then(r => r.json())")
    assert me["id"] == operator.pk
