"""Security that people see in real Chromium: the Content-Security-Policy blocks nothing of ours."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from chat.models import Operator
from tests.browser.conftest import in_thread
from tests.browser.test_workspace import operator_logs_in

pytestmark = [pytest.mark.browser]

# Runs before any page script, outside the page's policy: every refusal the browser reports is kept.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def violations(page: Page) -> list[str]:
    return page.evaluate("window.__csp")


def test_every_page_works_under_the_policy_with_no_violation(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    manager = in_thread(make_operator, "Maria", is_manager=True)
    page = new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    seen: list[str] = []

    # The language switch has no inline handler any more: picking Русский still reloads in Russian.
    page.goto("/workspace/login/")
    page.get_by_label("Language").select_option("ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    seen += violations(page)
    page.get_by_label("Язык").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    operator_logs_in(page, manager)
    seen += violations(page)
    for path, visible in [
        ("/workspace/dashboards/live/", "Live"),
        ("/workspace/dashboards/history/", "History"),
        ("/workspace/dashboards/targets/", "Targets"),
    ]:
        page.goto(path)
        expect(page.get_by_role("link", name=visible).first).to_be_visible()
        page.wait_for_load_state("networkidle")
        seen += violations(page)

    page.goto("/api/docs")
    expect(page.get_by_role("heading", name="Switchboard workspace API")).to_be_visible()
    seen += violations(page)

    # The widget on the demo shop: its <style> passes on the nonce of its <script> tag.
    page.goto("/")
    button = page.get_by_role("button", name="Open chat")
    expect(button).to_be_visible()
    assert button.evaluate("b => getComputedStyle(b).position") == "fixed"
    button.click()
    expect(page.get_by_role("heading", name="Chat with us")).to_be_visible()
    page.wait_for_load_state("networkidle")
    seen += violations(page)
    assert seen == []


def test_an_injected_inline_script_is_refused(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    """What the policy is for: markup that reaches a page some other way still cannot run."""
    operator = in_thread(make_operator, "Anna")
    page = new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    operator_logs_in(page, operator)
    page.evaluate(
        """() => {
          const s = document.createElement("script"); s.textContent = "window.__ran = 1"; document.body.append(s);
          const d = document.createElement("div"); d.innerHTML = '<img src="x" onerror="window.__ran = 2">';
          document.body.append(d);
        }"""
    )
    page.wait_for_function("window.__csp.length >= 2")
    assert page.evaluate("window.__ran") is None
    assert all(v.startswith("script-src") for v in violations(page))
