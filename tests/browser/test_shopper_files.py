"""Shoppers' files in real Chromium: a photo by picker, drop and paste; the operator sees thumbnails."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from chat.actions import do_set_operator_status
from chat.models import Operator
from tests.browser.conftest import in_thread, save_screenshot
from tests.browser.test_visitor_context import WORDS, desk_in

pytestmark = [pytest.mark.browser]


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real PNG of one colour, big enough to see in a screenshot."""
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
FILE_WORDS = {
    "en": {"attach": "Attach a photo or file", "camera": "Take a photo", "refused": "not accepted"},
    "ru": {"attach": "Прикрепить фото или файл", "camera": "Сфотографировать", "refused": "не принят"},
}


def drop_file(page: Page, name: str, how: str) -> None:
    """A file dropped on the panel or pasted into the box, as the browser hands it to the page."""
    page.evaluate(
        """([b64, name, how]) => {
          const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          const transfer = new DataTransfer();
          transfer.items.add(new File([bytes], name, { type: "image/png" }));
          if (how === "drop") {
            const panel = document.querySelector(".sbw-panel");
            panel.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
            panel.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
          } else {
            const box = document.querySelector(".sbw-compose textarea");
            const paste = new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true });
            box.dispatchEvent(paste);
          }
        }""",
        [PNG_B64, name, how],
    )


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_shopper_sends_photos_three_ways_and_the_operator_sees_thumbnails(
    transactional_db: None,
    make_operator: Callable[..., Operator],
    new_context: Callable[..., BrowserContext],
    language: str,
    tmp_path: Path,
) -> None:
    words, file_words = WORDS[language], FILE_WORDS[language]
    operator = in_thread(make_operator, "Anna", language=language)
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    desk = desk_in(new_context, operator, language)
    shop = new_context(locale=language).new_page()
    shop.goto("/")
    shop.get_by_role("button", name=words["open"]).click()
    expect(shop.get_by_role("button", name=file_words["camera"])).to_be_hidden()  # a computer has no camera button

    photo = tmp_path / "torn-seam.png"
    photo.write_bytes(solid_png(160, 120, (200, 80, 60)))
    shop.locator(".sbw-file-input").set_input_files(str(photo))
    expect(shop.locator(".sbw-log .sbw-thumb")).to_have_count(1)
    operator_chat = desk.locator(".chat:not([hidden]) .log")
    expect(operator_chat.locator("a.attachment.image img")).to_have_count(1)

    drop_file(shop, "dropped.png", "drop")
    drop_file(shop, "pasted.png", "paste")
    expect(shop.locator(".sbw-log .sbw-thumb")).to_have_count(3)
    expect(operator_chat.locator("a.attachment.image img")).to_have_count(3)
    # The thumbnails load: the shopper's signed links and the operator's checked ones both serve the bytes.
    for page in (shop, desk):
        page.wait_for_function(
            "() => [...document.querySelectorAll('.sbw-thumb, a.attachment.image img')]"
            ".every((i) => i.complete && i.naturalWidth > 0)"
        )

    page_html = tmp_path / "page.html"
    page_html.write_bytes(b"<html><script>alert(1)</script></html>")
    shop.locator(".sbw-file-input").set_input_files(str(page_html))
    expect(shop.locator(".sbw-failed")).to_contain_text(file_words["refused"])
    save_screenshot(desk, f"attachments-operator-{language}")
    save_screenshot(shop, f"attachments-widget-{language}")


def test_a_phone_offers_its_camera(
    transactional_db: None, make_operator: Callable[..., Operator], new_context: Callable[..., BrowserContext]
) -> None:
    # Someone is online, so the widget shows the chat (not the offline form, which has no attachments).
    operator = in_thread(make_operator, "Anna")
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    shop = new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True).new_page()
    shop.goto("/")
    shop.get_by_role("button", name="Open chat").click()
    camera = shop.get_by_role("button", name="Take a photo")
    expect(camera).to_be_visible()
    assert shop.locator('input[type=file][capture="environment"]').count() == 1


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_operator_sends_a_photo_and_the_shopper_sees_it(
    transactional_db: None,
    make_operator: Callable[..., Operator],
    new_context: Callable[..., BrowserContext],
    language: str,
    tmp_path: Path,
) -> None:
    words = WORDS[language]
    operator = in_thread(make_operator, "Anna", language=language)
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    desk = desk_in(new_context, operator, language)
    shop = new_context(locale=language).new_page()
    shop.goto("/")
    shop.get_by_role("button", name=words["open"]).click()
    box = shop.get_by_role("textbox", name=words["message"])
    box.fill("Can you send the size chart?")
    box.press("Enter")

    chart = tmp_path / "size-chart.png"
    chart.write_bytes(solid_png(160, 120, (40, 120, 200)))
    chat = desk.locator(".chat:not([hidden])")
    expect(chat.locator(".message.shopper")).to_have_count(1)
    chat.get_by_role("textbox").first.fill("Here it is")
    chat.locator(".attach-input").set_input_files(str(chart))
    expect(chat.locator(".log a.attachment.image img")).to_have_count(1)
    expect(shop.locator(".sbw-operator .sbw-thumb")).to_have_count(1)
    expect(shop.locator(".sbw-operator .sbw-text")).to_have_text("Here it is")
    shop.wait_for_function("() => document.querySelector('.sbw-operator .sbw-thumb').naturalWidth === 160")
    save_screenshot(desk, f"attachments-sent-{language}")
