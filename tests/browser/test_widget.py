"""The shopper's widget in real Chromium against a live daphne on PostgreSQL + Redis."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from playwright.sync_api import Page, expect

from chat.actions import do_operator_reply, do_set_operator_status
from chat.events import relay_typing
from chat.models import Contact, Conversation, Message, Operator
from tests.browser.conftest import PHONE, in_thread, save_screenshot, wait_for

pytestmark = [pytest.mark.browser]

XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> **bold** [link](javascript:1)'


def online_operator(make_operator: Callable[..., Operator], name: str = "Anna") -> Operator:
    operator = in_thread(make_operator, name)
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    return operator


def open_shop(page: Page) -> list[str]:
    """Open the demo shop; return the list that collects every WebSocket the page opens."""
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto("/")
    expect(page.get_by_role("button", name="Open chat")).to_be_visible()
    return sockets


def write(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Your message")
    box.fill(text)
    box.press("Enter")


def write_and_wait(page: Page, text: str) -> None:
    """Write and wait until the server acknowledged it (the pending bubble is gone)."""
    write(page, text)
    expect(page.locator(".sbw-pending")).to_have_count(0)


def bubbles(page: Page) -> list[str]:
    return page.locator(".sbw-log .sbw-msg:not(.sbw-pending) .sbw-text").all_text_contents()


def stored(conversation_id: int | None = None) -> list[str]:
    messages = Message.objects.order_by("id")
    if conversation_id is not None:
        messages = messages.filter(conversation_id=conversation_id)
    return list(messages.values_list("text", flat=True))


def the_conversation() -> Conversation:
    return wait_for(lambda: Conversation.objects.order_by("-id").first())


def test_shopper_writes_operator_replies_live_and_history_survives_a_reload(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    operator = online_operator(make_operator, "Anna")
    page = new_page()
    sockets = open_shop(page)
    page.wait_for_timeout(500)
    assert sockets == [], "a page view must open no connection"

    page.get_by_role("button", name="Open chat").click()
    write(page, "Where is my order 1042?")
    expect(page.locator(".sbw-log .sbw-msg:not(.sbw-pending)")).to_have_count(1)
    assert len(sockets) == 1
    conversation = the_conversation()
    wait_for(lambda: Conversation.objects.get(pk=conversation.pk).operator_id == operator.pk)

    page.get_by_role("textbox", name="Your message").press_sequentially("and")
    in_thread(do_operator_reply, conversation_id=conversation.pk, operator_id=operator.pk, text="It ships today.")
    expect(page.get_by_text("It ships today.")).to_be_visible()
    expect(page.locator(".sbw-status")).to_have_text("Anna is here to help")
    in_thread(
        async_to_sync(relay_typing),
        conversation_id=conversation.pk,
        author_kind="operator",
        operator_id=operator.pk,
        name="Anna",
    )
    expect(page.locator(".sbw-typing")).to_have_text("Anna is typing…")
    save_screenshot(page, "widget")

    page.reload()  # the conversation is in progress: the widget reconnects by itself
    expect(page.locator(".sbw-log .sbw-msg")).to_have_count(2)
    assert bubbles(page) == ["Where is my order 1042?", "It ships today."]
    assert stored() == ["Where is my order 1042?", "It ships today."]


def test_a_remembered_conversation_that_is_not_yours_is_dropped_and_the_chat_still_works(
    transactional_db: None,
    make_operator: Callable[..., Operator],
    shopper_writes: Callable[..., Any],
    new_page: Callable[..., Page],
) -> None:
    online_operator(make_operator)
    someone_else = in_thread(shopper_writes, "visitor-someone-else", "private").conversation
    page = new_page()
    page.goto("/")
    page.evaluate(f"localStorage.setItem('sbw.conversation', '{someone_else.pk}')")
    page.reload()
    page.get_by_role("button", name="Open chat").click()
    write_and_wait(page, "mine")
    assert bubbles(page) == ["mine"]
    assert stored(someone_else.pk) == ["private"]


def test_unread_count_on_the_closed_button(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    operator = online_operator(make_operator, "Anna")
    page = new_page()
    open_shop(page)
    page.get_by_role("button", name="Open chat").click()
    write_and_wait(page, "hello")
    conversation = the_conversation()
    wait_for(lambda: Conversation.objects.get(pk=conversation.pk).operator_id == operator.pk)
    page.get_by_role("button", name="Minimize chat").click()

    in_thread(do_operator_reply, conversation_id=conversation.pk, operator_id=operator.pk, text="Are you there?")
    in_thread(do_operator_reply, conversation_id=conversation.pk, operator_id=operator.pk, text="Hello?")

    expect(page.get_by_role("button", name="Open chat (2 unread)")).to_be_visible()
    page.get_by_role("button", name="Open chat (2 unread)").click()
    expect(page.get_by_role("button", name="Open chat", exact=True)).to_be_visible()
    assert bubbles(page) == ["hello", "Are you there?", "Hello?"]


def test_html_scripts_and_markdown_from_strangers_show_literally(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    operator = online_operator(make_operator)
    page = new_page()
    open_shop(page)
    page.get_by_role("button", name="Open chat").click()
    write_and_wait(page, XSS)
    conversation = the_conversation()
    wait_for(lambda: Conversation.objects.get(pk=conversation.pk).operator_id == operator.pk)
    in_thread(do_operator_reply, conversation_id=conversation.pk, operator_id=operator.pk, text="<b>not bold</b>")

    expect(page.locator(".sbw-log .sbw-msg")).to_have_count(2)
    assert bubbles(page) == [XSS, "<b>not bold</b>"]
    assert page.locator(".sbw-log img, .sbw-log script, .sbw-log b, .sbw-log a").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert stored() == [XSS, "<b>not bold</b>"]


def start_assigned_chat(page: Page, make_operator: Callable[..., Operator]) -> tuple[Conversation, Operator]:
    operator = online_operator(make_operator)
    open_shop(page)
    page.get_by_role("button", name="Open chat").click()
    write_and_wait(page, "one")
    conversation = the_conversation()
    wait_for(lambda: Conversation.objects.get(pk=conversation.pk).operator_id == operator.pk)
    return conversation, operator


def assert_each_shown_and_stored_once(page: Page, conversation: Conversation, expected: list[str]) -> None:
    wait_for(lambda: len(stored(conversation.pk)) >= len(expected))
    assert sorted(stored(conversation.pk)) == sorted(expected)
    assert sorted(bubbles(page)) == sorted(expected)
    ids = page.locator(".sbw-log .sbw-msg").evaluate_all("nodes => nodes.map(n => Number(n.dataset.id))")
    assert ids == sorted(ids), "messages are shown in the order they were stored"


def test_the_shoppers_network_drops_and_returns_nothing_lost_or_doubled(
    transactional_db: None, make_operator: Callable[..., Operator], new_context: Callable[..., Any]
) -> None:
    context = new_context()
    page = context.new_page()
    conversation, operator = start_assigned_chat(page, make_operator)

    # Offline: the shopper keeps writing, the operator keeps answering.
    context.set_offline(True)
    write(page, "two, written offline")
    in_thread(do_operator_reply, conversation_id=conversation.pk, operator_id=operator.pk, text="answer while away")
    expect(page.locator(".sbw-pending")).to_have_count(1)
    context.set_offline(False)

    expect(page.locator(".sbw-log .sbw-msg:not(.sbw-pending)")).to_have_count(3, timeout=15_000)
    expect(page.locator(".sbw-pending")).to_have_count(0)
    assert_each_shown_and_stored_once(page, conversation, ["one", "two, written offline", "answer while away"])


def test_a_server_outage_is_survived_with_backoff_and_resume(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page], live_daphne: Any
) -> None:
    page = new_page()
    conversation, operator = start_assigned_chat(page, make_operator)

    live_daphne.stop()  # every socket drops; the widget retries with backoff
    write(page, "two, written during the outage")
    expect(page.locator(".sbw-pending")).to_have_count(1)
    live_daphne.start()
    in_thread(do_operator_reply, conversation_id=conversation.pk, operator_id=operator.pk, text="back again")

    expect(page.locator(".sbw-log .sbw-msg:not(.sbw-pending)")).to_have_count(3, timeout=15_000)
    assert_each_shown_and_stored_once(page, conversation, ["one", "two, written during the outage", "back again"])


def test_offline_form_when_no_operator_is_online_in_russian(
    transactional_db: None,
    queues: Any,
    new_page: Callable[..., Page],
    make_operator: Callable[..., Operator],
    mailoutbox: list[Any],
) -> None:
    page = new_page(locale="ru-RU")  # the page follows Accept-Language; the widget follows <html lang>
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "ru"
    page.get_by_role("button", name="Открыть чат").click()
    unnamed = page.locator(".sbw button, .sbw textarea, .sbw input").evaluate_all(
        """nodes => nodes.filter(n => !(n.getAttribute('aria-label') || n.closest('label') || n.textContent.trim()))
                         .map(n => n.outerHTML)"""
    )
    assert unnamed == [], "every control has an accessible name"

    page.get_by_label("Имя").fill("Иван")
    page.get_by_label("Эл. почта").fill("ivan@example.com")
    page.get_by_label("Сообщение", exact=True).fill("Есть ли доставка в Казань?")
    page.get_by_role("button", name="Отправить сообщение").click()
    expect(page.get_by_text("Спасибо! Мы скоро ответим.")).to_be_visible()

    conversation = the_conversation()
    assert conversation.is_offline
    assert stored(conversation.pk) == ["Есть ли доставка в Казань?"]
    contact = Contact.objects.get(pk=conversation.contact_id)
    assert (contact.name, contact.email) == ("Иван", "ivan@example.com")

    # Later an operator answers: the reply goes to the email, with a link back to this page.
    operator = online_operator(make_operator)
    reply = "Да, доставим <завтра>."
    in_thread(do_operator_reply, conversation_id=conversation.pk, operator_id=operator.pk, text=reply)
    [email] = mailoutbox
    assert (email.to, email.subject) == (["ivan@example.com"], "Ответ на ваше сообщение")
    assert f"\n{reply}\n" in email.body and email.body.rstrip().endswith(page.url)
    assert Message.objects.get(text=reply).delivery_state == "sent"


def test_on_a_phone_the_panel_fills_the_screen(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    online_operator(make_operator)
    page = new_page(**PHONE)
    open_shop(page)
    save_screenshot(page, "widget-phone-closed")
    page.get_by_role("button", name="Open chat").click()
    write(page, "Does the coat come in size S?")
    expect(page.locator(".sbw-log .sbw-msg:not(.sbw-pending)")).to_have_count(1)
    box = page.get_by_role("dialog", name="Chat with us").bounding_box()
    assert box is not None
    assert (round(box["width"]), round(box["x"])) == (375, 0)
    expect(page.get_by_role("button", name="Minimize chat")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Send"))).to_be_visible()
    save_screenshot(page, "widget-phone")
