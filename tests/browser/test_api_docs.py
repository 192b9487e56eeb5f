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
