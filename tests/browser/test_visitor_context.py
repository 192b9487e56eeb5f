"""The visitor's context in real Chromium: the operator sees the shopper's page, its changes and the cart."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import APIResponse, BrowserContext, Page, Route, expect

from chat.actions import InboundMessage, do_receive_inbound, do_report_visitor_context, do_set_operator_status
from chat.models import Operator
from tests.browser.conftest import in_thread, save_screenshot

pytestmark = [pytest.mark.browser]

WORDS = {
    "en": {
        "login": "Login",
        "password": "Password",
        "sign_in": "Sign in",
        "live": "Live",
        "open": "Open chat",
        "message": "Your message",
        "add": "Add to cart",
        "heading": "On the site",
        "pages": "Earlier pages (1)",
        "device": "Computer",
        "total": "Total",
    },
    "ru": {
        "login": "Логин",
        "password": "Пароль",
        "sign_in": "Войти",
        "live": "На связи",
        "open": "Открыть чат",
        "message": "Ваше сообщение",
        "add": "В корзину",
        "heading": "На сайте",
        "pages": "Предыдущие страницы (1)",
        "device": "Компьютер",
        "total": "Итого",
    },
}


def desk_in(new_context: Callable[..., BrowserContext], operator: Operator, language: str) -> Page:
    words = WORDS[language]
    page = new_context(locale=language).new_page()
    page.goto("/workspace/")
    page.locator('input[name="username"]').fill(operator.user.username)
    page.locator('input[name="password"]').fill("pw-123456")
    page.locator('input[name="password"]').press("Enter")
    expect(page.get_by_role("status").filter(has_text=words["live"])).to_be_visible()
    return page


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_operator_sees_the_shoppers_page_its_changes_and_the_cart(
    transactional_db: None,
    make_operator: Callable[..., Operator],
    new_context: Callable[..., BrowserContext],
    language: str,
) -> None:
    words = WORDS[language]
    operator = in_thread(make_operator, "Anna", language=language)
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    desk = desk_in(new_context, operator, language)
    shop = new_context(locale=language).new_page()
    shop.goto("/?utm_source=newsletter")
    shop.locator(".product .add-to-cart").first.click()
    shop.locator(".product .add-to-cart").first.click()
    shop.get_by_role("button", name=words["open"]).click()
    box = shop.get_by_role("textbox", name=words["message"])
    box.fill("Does the shirt come in XL?")
    box.press("Enter")

    panel = desk.locator(".chat:not([hidden]) .visitor-context")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("heading", name=words["heading"])).to_be_visible()
    expect(panel.locator(".visitor-page a")).to_have_attribute("href", f"{shop.url}")
    expect(panel.locator(".visitor-cart li")).to_have_count(1)
    expect(panel.locator(".visitor-cart li")).to_contain_text("× 2")
    expect(panel.locator(".visitor-cart-total")).to_contain_text(words["total"])
    expect(panel).to_contain_text(words["device"])

    # The shopper moves on (a single-page shop changes the address without a reload): live, no reload.
    desk.evaluate("window.__sameDocument = true")
    shop.evaluate("history.pushState({}, '', '/#checkout'); document.title = 'Checkout <b>now</b>'")
    expect(panel.locator(".visitor-page a")).to_have_text("Checkout <b>now</b>")  # text, never markup
    expect(panel.locator(".visitor-pages summary")).to_have_text(words["pages"])
    assert desk.evaluate("window.__sameDocument") is True
    save_screenshot(desk, f"visitor-context-{language}")


def test_a_transcript_fetched_before_the_first_page_report_does_not_hide_it(
    transactional_db: None, make_operator: Callable[..., Operator], new_context: Callable[..., BrowserContext]
) -> None:
    """Under load the chat's transcript request can leave before the widget's first report commits and
    answer after its live event: the older, empty copy must not hide the page the event showed."""
    operator = in_thread(make_operator, "Anna")
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    desk = desk_in(new_context, operator, "en")
    held: list[tuple[Route, APIResponse]] = []

    def hold_the_transcript(route: Route) -> None:
        held.append((route, route.fetch()))  # read now, answered later

    desk.route("**/api/conversations/*?limit=50", hold_the_transcript)
    received = in_thread(do_receive_inbound, InboundMessage(connector="widget", sender_id="v-late", text="Hi"))
    while not held:  # the route handler runs while Playwright waits
        desk.wait_for_timeout(50)
    in_thread(
        do_report_visitor_context,
        connector="widget",
        sender_id="v-late",
        conversation_id=received.conversation.pk,
        report={"page": {"url": "https://shop.example/coat", "title": "Wool coat"}},
    )
    panel = desk.locator(".visitor-context")
    expect(panel.locator(".visitor-page a")).to_have_text("Wool coat")
    assert len(held) == 1
    route, stale = held[0]
    assert stale.json()["visitor_context"] == {}  # the copy from before the report
    route.fulfill(response=stale)
    expect(desk.locator(".chat .log")).to_contain_text("Hi")  # the transcript has landed
    desk.wait_for_timeout(300)  # and has been rendered in full
    expect(panel).to_be_visible()
    expect(panel.locator(".visitor-page a")).to_have_text("Wool coat")
