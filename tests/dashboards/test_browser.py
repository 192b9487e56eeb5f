"""The dashboards in real Chromium against a live daphne: pushed live figures, the alert banner, charts."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from chat.actions import InboundMessage, do_receive_inbound, do_set_operator_status
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
    time.sleep(0.2)  # the wait is measured to a tenth of a second: make it more than the target's 0
    in_thread(check_service_targets)
    banner = page.locator("#target-alerts")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Longest queue wait now")
    assert page.evaluate("window.__sameDocument") is True  # pushed, not reloaded
    save_screenshot(page, "dashboard-live")


def test_a_poll_answered_late_does_not_wipe_an_alert_the_socket_raised(queues, new_page):
    """The banner's poll may be read before a breach and answered after its push arrived."""
    do_create_operator(username="max", password="pw-123456", display_name="Max", is_manager=True)
    page = new_page()
    held: list = []

    def hold_first_answer(route) -> None:
        if held:
            route.continue_()
            return
        held.append((route, route.fetch()))  # read now, before any breach, answered later

    page.route("**/dashboards/alerts.json", hold_first_answer)  # the page's first poll, at load
    manager_logs_in(page, "/workspace/dashboards/live/")
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the banner never polled"
    in_thread(do_receive_inbound, InboundMessage(connector="telegram", sender_id="s1", text="hi"))
    ServiceTarget.objects.create(metric="max_queue_wait", threshold=0)
    time.sleep(0.2)  # the wait is measured to a tenth of a second: make it more than the target's 0
    banner = page.locator("#target-alerts")
    # The socket must be subscribed before the breach is raised: wait for the live push to land.
    in_thread(publish_live_dashboard)
    expect(page.locator("#live-queued")).to_have_text("1")
    in_thread(check_service_targets)
    expect(banner).to_be_visible()
    route, stale = held[0]
    route.fulfill(response=stale)
    page.wait_for_timeout(500)
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Longest queue wait now")


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


def signs_in(page: Page, path: str) -> None:
    """Sign in whatever the page's language (the fields by name, not by their translated labels)."""
    page.goto(path)
    page.locator('input[name="username"]').fill("max")
    page.locator('input[name="password"]').fill("pw-123456")
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_url(f"**{path}")


LIVE_WORDS = {
    "en": {"load": "2 of 2", "status": "online", "alert": "Target missed", "unit": " s"},
    "ru": {"load": "2 из 2", "status": "в сети", "alert": "Цель не выполнена", "unit": " с"},
}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_live_screen_in_each_language_after_a_push(queues, new_page, language):
    import re

    from tests.dashboards.test_language import ALLOWED_LATIN

    do_create_operator(username="max", password="pw-123456", display_name="Max", is_manager=True)
    anna = do_create_operator(username="anna", password="pw-123456", display_name="Anna", cap=2)
    page = new_page(locale=language)
    signs_in(page, "/workspace/dashboards/live/")
    page.evaluate("window.__sameDocument = true")
    in_thread(do_set_operator_status, operator_id=anna.pk, status="online")
    for n in range(3):
        in_thread(do_receive_inbound, InboundMessage(connector="widget", sender_id=f"s{n}", text="hi"))
    ServiceTarget.objects.create(metric="max_queue_wait", threshold=0)
    time.sleep(0.2)  # the wait is measured to a tenth of a second: make it more than the target's 0
    in_thread(check_service_targets)
    in_thread(publish_live_dashboard)

    words = LIVE_WORDS[language]
    expect(page.locator("#live-operators")).to_contain_text(words["load"])
    expect(page.locator("#live-operators")).to_contain_text(words["status"])
    expect(page.locator("#live-longest")).to_contain_text(words["unit"])
    occupancy = page.locator('#live-today tr[data-figure="occupancy"] td')
    expect(occupancy).to_have_text(re.compile(r"^\d+([.,]\d)? %$"))
    expect(page.locator('#live-today tr[data-figure="concurrency"] td')).not_to_have_text("–")
    expect(page.locator("#target-alerts")).to_contain_text(words["alert"])
    assert page.evaluate("window.__sameDocument") is True  # drawn from the push, not a reload
    if language == "ru":
        text = page.locator("body").inner_text()
        english = sorted(set(re.findall(r"[A-Za-z][A-Za-z'-]+", text)) - ALLOWED_LATIN)
        assert english == [], english
    save_screenshot(page, f"dashboard-live-{language}")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_history_tables_use_the_pages_width(queues, new_page, language):
    do_create_operator(username="max", password="pw-123456", display_name="Max", is_manager=True)
    in_thread(do_receive_inbound, InboundMessage(connector="vk", sender_id="s1", text="hi"))
    page = new_page(locale=language, viewport={"width": 1280, "height": 900})
    signs_in(page, "/workspace/dashboards/history/")
    main = page.locator("main").bounding_box()
    for table in ("summary", "by_connector"):
        box = page.locator(f"#table-{table} table").bounding_box()
        assert main and box and box["width"] > 0.9 * (main["width"] - 32), (table, box, main)
    save_screenshot(page, f"dashboard-history-{language}", full_page=True)
