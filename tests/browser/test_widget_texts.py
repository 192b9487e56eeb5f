"""The widget's texts come from the server in the shopper's language, and are kept for the next page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import save_screenshot

pytestmark = [pytest.mark.browser]


def test_a_russian_shopper_gets_the_widget_in_russian_from_the_server(
    transactional_db: None, new_page: Callable[..., Page]
) -> None:
    page = new_page(locale="ru-RU")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with page.expect_response(lambda response: "/connectors/widget/strings/" in response.url) as answer:
        page.goto("/")
    assert answer.value.json()["language"] == "ru"
    button = page.get_by_role("button", name="Открыть чат")
    expect(button).to_be_visible()
    button.click()
    dialog = page.get_by_role("dialog", name="Напишите нам")
    expect(dialog).to_be_visible()
    # Nobody is online: the offline form, every label in Russian.
    expect(dialog).to_contain_text("Сейчас никого нет на связи.")
    expect(dialog.get_by_label("Эл. почта")).to_be_visible()
    expect(dialog.get_by_role("button", name="Свернуть чат")).to_be_visible()
    save_screenshot(page, "widget-texts-ru")

    # The next page view starts from the texts kept in the browser: no second request for them.
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url) if "/widget/strings/" in request.url else None)
    page.reload()
    expect(page.get_by_role("dialog", name="Напишите нам")).to_be_visible()  # it was left open
    assert asked == []
    assert errors == []


def test_the_widget_shows_exactly_what_the_server_sends(transactional_db: None, new_page: Callable[..., Page]) -> None:
    page = new_page(locale="ru-RU")

    def reworded(route: Route) -> None:
        response = route.fetch()
        data: dict[str, Any] = response.json()
        data["strings"]["open"] = "Чат с магазином"
        route.fulfill(response=response, json=data)

    page.route("**/connectors/widget/strings/**", reworded)
    page.goto("/")
    expect(page.get_by_role("button", name="Чат с магазином")).to_be_visible()


def test_without_its_texts_the_widget_waits_and_comes_up_when_the_server_answers(
    transactional_db: None, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    failing = {"left": 1}

    def first_fails(route: Route) -> None:
        if failing["left"]:
            failing["left"] -= 1
            route.fulfill(status=503, body="")
        else:
            route.continue_()

    page.route("**/connectors/widget/strings/**", first_fails)
    page.goto("/")
    assert page.locator(".sbw").count() == 0  # no button without words on it
    expect(page.get_by_role("button", name="Open chat")).to_be_visible()
