"""The API docs page as a script author reads it in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_keep_the_placeholders_in_angle_brackets(new_page) -> None:
    page = new_page()
    page.goto("/api/docs")
    description = page.locator(".info .description, .info .renderedMarkdown").first
    expect(description).to_contain_text("issue_api_token", timeout=20000)
    expect(description).to_contain_text("Authorization: Bearer <token>")
    expect(description).to_contain_text("manage.py issue_api_token <login>")
    save_screenshot(page, "api-docs")


def test_the_shop_api_docs_show_the_batch_rules_and_example(new_page) -> None:
    page = new_page()
    page.goto("/api/shop/v1/docs")
    description = page.locator(".info .description, .info .renderedMarkdown").first
    expect(description).to_contain_text("Authorization: Bearer <shop api key>", timeout=20000)
    expect(description).to_contain_text("at most 500 orders")
    page.get_by_text("/api/shop/v1/batch").first.click()
    expect(page.get_by_text('"number": "10234"').first).to_be_visible()
    save_screenshot(page, "shop-api-docs")
