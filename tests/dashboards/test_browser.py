"""The dashboards in real Chromium against a live daphne: pushed live figures, the alert banner, charts."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from chat.actions import InboundMessage, do_receive_inbound
from chat.actions.setup import do_create_operator
from tests.browser.conftest import in_thread, save_screenshot
from workspace.models import ServiceTarget
from workspace.tasks import check_service_targets, publish_live_dashboard

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def manager_logs_in(page: Page, path: str) -> None:
    page.goto(path)
    page.get_by_label("Login").fill("max")
    page.get_by_label("Password").fill("pw-123456")
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(f"**{path}")


def test_live_figures_and_alerts_arrive_without_a_reload(queues, new_page):
    do_create_operator(username="max", password="pw-123456", display_name="Max", is_manager=True)
    page = new_page()
    manager_logs_in(page, "/workspace/dashboards/live/")
    expect(page.locator("#live-queued")).to_have_text("0")
    page.evaluate("window.__sameDocument = true")
    for n in range(3):
        in_thread(do_receive_inbound, InboundMessage(connector="telegram", sender_id=f"s{n}", text="hi"))
    in_thread(publish_live_dashboard)
    expect(page.locator("#live-queued")).to_have_text("3")
    ServiceTarget.objects.create(metric="max_queue_wait", threshold=0)
    in_thread(check_service_targets)
    banner = page.locator("#target-alerts")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Longest queue wait now")
    assert page.evaluate("window.__sameDocument") is True  # pushed, not reloaded
    save_screenshot(page, "dashboard-live")


def test_history_draws_its_charts(queues, new_page):
    do_create_operator(username="max", password="pw-123456", display_name="Max", is_manager=True)
    in_thread(do_receive_inbound, InboundMessage(connector="vk", sender_id="s1", text="hi"))
    page = new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    manager_logs_in(page, "/workspace/dashboards/history/")
    for chart in ("by_day", "by_hour", "by_connector", "by_reason", "reason_trend", "ratings"):
        page.wait_for_function(f"() => window.Chart && Chart.getChart(document.getElementById('chart-{chart}'))")
    expect(page.locator("#table-by_connector")).to_contain_text("VK")
    assert errors == []
    save_screenshot(page, "dashboard-history", full_page=True)
