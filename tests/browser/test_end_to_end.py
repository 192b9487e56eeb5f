"""Both screens at once: shoppers in the demo shop's widget, an operator in the workspace.

Each person is a separate browser context (own cookies and storage) against one live daphne on
PostgreSQL + Redis; nothing is faked between them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from chat.actions import do_set_operator_status
from chat.models import Conversation, ConversationState, Message, Operator, Reason
from tests.browser.conftest import in_thread, save_screenshot, wait_for

pytestmark = [pytest.mark.browser]

XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> **bold** _it_ [a](javascript:1)'


def online_operator(make_operator: Callable[..., Operator], name: str = "Anna") -> Operator:
    operator = in_thread(make_operator, name)
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    return operator


def workspace(new_context: Callable[..., BrowserContext], operator: Operator) -> Page:
    page = new_context().new_page()
    page.goto("/workspace/")
    page.get_by_label("Login").fill(operator.user.username)
    page.get_by_label("Password").fill("pw-123456")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible()
    return page


def shop(new_context: Callable[..., BrowserContext]) -> Page:
    page = new_context().new_page()
    page.goto("/")
    page.get_by_role("button", name="Open chat").click()
    return page


def shopper_writes(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Your message")
    box.fill(text)
    box.press("Enter")


def widget_texts(page: Page) -> Any:
    return page.locator(".sbw-log .sbw-msg:not(.sbw-pending) .sbw-text")


def operator_replies(page: Page, chat_name: str, text: str) -> None:
    page.get_by_role("tab", name=chat_name).click()
    box = page.locator(".chat:not([hidden])").get_by_role("textbox", name="Reply to the customer")
    box.fill(text)
    box.press("Enter")


def test_shopper_writes_operator_replies_shopper_sees_it(
    transactional_db: None, make_operator: Callable[..., Operator], new_context: Callable[..., BrowserContext]
) -> None:
    operator = online_operator(make_operator)
    desk = workspace(new_context, operator)
    shopper = shop(new_context)

    shopper_writes(shopper, "Hello, where is order 1042?")
    chat = desk.get_by_role("log", name="Chat with Visitor")
    expect(chat.locator(".message.shopper .text")).to_have_text(["Hello, where is order 1042?"])
    expect(shopper.locator(".sbw-status")).to_have_text("Anna is here to help")

    # Typing shows both ways.
    shopper.get_by_role("textbox", name="Your message").press_sequentially("and")
    expect(desk.get_by_text("Customer is typing…")).to_be_visible()
    desk.get_by_role("textbox", name="Reply to the customer").press_sequentially("One")
    expect(shopper.get_by_text("Anna is typing…")).to_be_visible()
    desk.get_by_role("textbox", name="Reply to the customer").fill("")

    operator_replies(desk, "Chat with Visitor", "It left the warehouse today.")
    expect(widget_texts(shopper)).to_have_text(["Hello, where is order 1042?", "It left the warehouse today."])
    expect(chat.locator(".message.operator .delivery")).to_have_text(["Sent"])
    conversation = Conversation.objects.get()
    assert list(Message.objects.filter(conversation=conversation).values_list("author_kind", "text")) == [
        ("shopper", "Hello, where is order 1042?"),
        ("operator", "It left the warehouse today."),
    ]


def test_five_shoppers_one_operator_the_fifth_waits_first_in_line_and_is_taken_when_a_chat_closes(
    transactional_db: None,
    make_operator: Callable[..., Operator],
    reason: Reason,
    new_context: Callable[..., BrowserContext],
) -> None:
    operator = online_operator(make_operator)
    desk = workspace(new_context, operator)
    shoppers = []
    for n in range(1, 6):
        page = shop(new_context)
        shopper_writes(page, f"question {n}")
        # One at a time, so "first come" is well defined for the test.

        def arrived(n: int = n) -> bool:
            return Conversation.objects.count() == n

        wait_for(arrived)
        shoppers.append(page)
    for n, page in enumerate(shoppers, start=1):
        expect(widget_texts(page)).to_have_text([f"question {n}"])

    expect(desk.get_by_role("tab")).to_have_count(4)
    fifth = shoppers[4]
    expect(fifth.locator(".sbw-status")).to_contain_text("You are number 1 in the queue")
    expect(desk.locator(".queue-item")).to_have_count(1)
    for page in shoppers[:4]:
        expect(page.locator(".sbw-status")).to_have_text("Anna is here to help")
    save_screenshot(desk, "workspace-four-chats")

    # Close the first chat with a reason: the fifth shopper is assigned at once.
    desk.get_by_role("tab").first.click()
    desk.locator(".chat:not([hidden])").get_by_role("button", name="Close chat").click()
    dialog = desk.get_by_role("dialog", name="Close the chat")
    dialog.get_by_label("Order: where is it").check()
    dialog.get_by_role("button", name="Close chat").click()

    expect(fifth.locator(".sbw-status")).to_have_text("Anna is here to help")
    expect(desk.get_by_role("tab")).to_have_count(4)
    expect(desk.locator(".queue-item")).to_have_count(0)
    expect(desk.locator(".log").filter(has_text="question 5")).to_have_count(1)
    states = list(Conversation.objects.order_by("id").values_list("state", flat=True))
    assert states == [ConversationState.CLOSED] + [ConversationState.ACTIVE] * 4
    assert Conversation.objects.get(state="closed").reason_id == reason.pk


def test_an_xss_payload_shows_literally_on_both_sides(
    transactional_db: None, make_operator: Callable[..., Operator], new_context: Callable[..., BrowserContext]
) -> None:
    operator = online_operator(make_operator)
    desk = workspace(new_context, operator)
    shopper = shop(new_context)

    shopper_writes(shopper, XSS)
    chat = desk.get_by_role("log", name="Chat with Visitor")
    expect(chat.locator(".message.shopper .text")).to_have_text([XSS])
    reply = "<b>bold?</b> <script>window.__pwned=3</script> # heading"
    operator_replies(desk, "Chat with Visitor", reply)
    expect(widget_texts(shopper)).to_have_text([XSS, reply])

    for page, scope in [(desk, ".log"), (shopper, ".sbw-log")]:
        assert page.locator(f"{scope} img, {scope} script, {scope} b, {scope} a, {scope} h1").count() == 0
        assert page.evaluate("window.__pwned") is None
    # The customer panel shows the last message of earlier chats as text too.
    assert list(Message.objects.order_by("id").values_list("text", flat=True)) == [XSS, reply]
