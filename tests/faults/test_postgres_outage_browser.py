"""The widget and the workspace in real Chromium while PostgreSQL is unreachable: the shopper's text is
kept, the shopper is told it will be sent, and it is sent once when the database is back (a reload in
between loses nothing); the operator's page shows it is reconnecting, then resumes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from chat.actions import do_set_operator_status
from chat.models import Conversation, Message, Operator
from tests.browser.conftest import chromium, in_thread, save_screenshot, wait_for  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UNSENT = "Where is order 10234? <b>written while the database is down</b>"


def test_the_widget_keeps_the_unsent_text_through_a_postgres_outage_and_the_workspace_says_it_reconnects(
    make_operator: Callable[..., Operator],
    postgres_proxy: Any,
    fault_daphne: Any,
    chromium: Any,  # noqa: F811
) -> None:
    anna = in_thread(make_operator, "Anna")
    in_thread(do_set_operator_status, operator_id=anna.pk, status="online")
    server = fault_daphne(proxy=postgres_proxy, SWITCHBOARD_PRESENCE_HEARTBEAT_SECONDS="0.5")
    context = chromium.new_context(base_url=server.url)
    context.set_default_timeout(15_000)
    workspace_context = chromium.new_context(base_url=server.url)
    workspace_context.set_default_timeout(15_000)
    try:
        workspace = workspace_context.new_page()
        workspace.goto("/workspace/")
        workspace.get_by_label("Login").fill(anna.user.username)
        workspace.get_by_label("Password").fill("pw-123456")
        workspace.get_by_role("button", name="Sign in").click()
        connection = workspace.get_by_role("status").filter(has_text="Live")
        expect(connection).to_be_visible()
        page = context.new_page()
        page.goto("/")
        page.get_by_role("button", name="Open chat").click()
        box = page.get_by_role("textbox", name="Your message")
        box.fill("one")
        box.press("Enter")
        expect(page.locator(".sbw-log .sbw-msg:not(.sbw-pending)")).to_have_count(1)
        conversation = wait_for(lambda: Conversation.objects.filter(operator=anna).first())

        postgres_proxy.cut()
        box.fill(UNSENT)
        box.press("Enter")
        pending = page.locator(".sbw-pending")
        expect(pending).to_have_count(1)
        expect(pending.locator(".sbw-text")).to_have_text(UNSENT)
        expect(page.locator(".sbw-notice")).to_have_text(
            "The chat is briefly unavailable. Your message is kept and will be sent when we are back."
        )
        expect(pending.locator(".sbw-who")).to_have_text("Not sent yet, will retry")
        save_screenshot(page, "widget-database-unavailable")
        # The operator's page says so too, instead of looking live while nothing can be stored.
        expect(workspace.get_by_role("status").filter(has_text="Connection lost, reconnecting…")).to_be_visible()
        # A reload while it is down keeps the text too (the outbox lives in localStorage).
        page.reload()
        expect(page.locator(".sbw-pending .sbw-text")).to_have_text(UNSENT)
        assert not Message.objects.filter(text=UNSENT).exists()

        postgres_proxy.restore()
        restored_at = time.monotonic()
        expect(page.locator(".sbw-pending")).to_have_count(0, timeout=30_000)
        seconds = time.monotonic() - restored_at
        expect(page.locator(".sbw-log .sbw-msg .sbw-text")).to_have_text(["one", UNSENT])
        expect(page.locator(".sbw-notice")).to_have_text("")
        expect(connection).to_be_visible()
        expect(workspace.get_by_text(UNSENT)).to_be_visible()  # resumed from its last event id
        assert list(Message.objects.filter(conversation=conversation).values_list("text", flat=True)) == [
            "one",
            UNSENT,
        ]
        print(f"\nwidget through a postgres outage: the kept message was sent {seconds:.1f} s after it was back")
    finally:
        context.close()
        workspace_context.close()
