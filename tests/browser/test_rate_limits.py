"""A shopper who writes too fast in the widget: told to slow down in their language, the text kept."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from chat.actions import do_set_operator_status
from chat.models import Message, Operator
from tests.browser.conftest import in_thread, save_screenshot, wait_for

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module", autouse=True)
def _two_messages_a_minute() -> Iterator[None]:
    """A low limit, set before this module's live server starts."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SWITCHBOARD_RATE_WIDGET_MESSAGE_VISITOR", "2/60")
        yield


def stored_texts() -> list[str]:
    return list(Message.objects.filter(author_kind="shopper").order_by("id").values_list("text", flat=True))


@pytest.mark.parametrize(
    ("locale", "box_name", "notice"),
    [
        ("en-US", "Your message", "You are sending too fast. Please wait"),
        ("ru-RU", "Ваше сообщение", "Вы отправляете слишком часто. Подождите"),
    ],
)
def test_the_third_quick_message_comes_back_to_the_box_with_a_slow_down(
    transactional_db: None,
    make_operator: Callable[..., Operator],
    new_page: Callable[..., Page],
    locale: str,
    box_name: str,
    notice: str,
) -> None:
    operator = in_thread(make_operator, "Anna")
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    page = new_page(locale=locale)
    page.goto("/")
    page.locator(".sbw-btn").click()
    box = page.get_by_role("textbox", name=box_name)
    for text in ("one", "two"):
        box.fill(text)
        box.press("Enter")

        def stored(text: str = text) -> bool:
            return text in in_thread(stored_texts)

        wait_for(stored)
    box.fill("three: my order 1042 <b>is late</b>")
    box.press("Enter")
    expect(page.locator(".sbw-notice")).to_contain_text(notice)
    expect(box).to_have_value("three: my order 1042 <b>is late</b>")  # nothing the shopper wrote is lost
    expect(page.locator(".sbw-pending")).to_have_count(0)
    assert in_thread(stored_texts) == ["one", "two"]
    save_screenshot(page, f"widget-slow-down-{locale}")
