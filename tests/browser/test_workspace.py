"""The operator workspace in real Chromium against a live daphne on PostgreSQL + Redis.

The shopper's side is played by the chat actions here (the widget has its own tests and the
end-to-end test drives both screens).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from playwright.sync_api import Page, expect

from chat.actions import InboundMessage, do_mark_delivery, do_receive_inbound, do_set_operator_status
from chat.actions.setup import do_ensure_canned_reply
from chat.events import relay_typing
from chat.models import Conversation, Message, Operator, Reason
from tests.browser.conftest import in_thread, save_screenshot, wait_for

pytestmark = [pytest.mark.browser]

XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> **bold** [link](javascript:1)'


def operator_logs_in(page: Page, operator: Operator, password: str = "pw-123456") -> None:
    page.goto("/workspace/")
    page.get_by_label("Login").fill(operator.user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible()


def shopper_writes(sender: str, text: str, name: str = "") -> Conversation:
    received = in_thread(
        do_receive_inbound, InboundMessage(connector="widget", sender_id=sender, text=text, sender_name=name)
    )
    return received.conversation


def online(make_operator: Callable[..., Operator], name: str, **kwargs: Any) -> Operator:
    operator = in_thread(make_operator, name, **kwargs)
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    return operator


def test_a_chat_live_reply_note_canned_reply_and_close_with_a_reason(
    transactional_db: None, make_operator: Callable[..., Operator], reason: Reason, new_page: Callable[..., Page]
) -> None:
    operator = online(make_operator, "Anna")
    in_thread(do_ensure_canned_reply, shortcut="hello", language="en", text="Hello! I am {operator}.")
    in_thread(do_ensure_canned_reply, shortcut="track", language="en", text="Track it on the order page.")
    page = new_page()
    operator_logs_in(page, operator)
    expect(page.get_by_role("combobox", name="My status")).to_have_value("online")

    conversation = shopper_writes("v-olga", XSS, name="Olga")
    tab = page.get_by_role("tab", name="Chat with Olga")
    expect(tab).to_be_visible()
    log = page.get_by_role("log", name="Chat with Olga")
    expect(log.locator(".message.shopper .text")).to_have_text([XSS])
    assert page.locator(".log img, .log script, .log b, .log a").count() == 0
    assert page.evaluate("window.__pwned") is None

    # The shopper types: the operator sees it.
    in_thread(
        async_to_sync(relay_typing), conversation_id=conversation.pk, author_kind="shopper", operator_id=operator.pk
    )
    expect(page.get_by_text("Customer is typing…")).to_be_visible()

    # "/" opens the canned replies; Enter inserts the highlighted one; Enter again sends.
    box = page.get_by_role("textbox", name="Reply to the customer")
    box.press_sequentially("/hel")
    expect(page.get_by_role("listbox", name="Canned replies").get_by_role("option")).to_have_count(1)
    box.press("Enter")
    expect(box).to_have_value("Hello! I am Anna.")
    box.press("Shift+Enter")
    box.press_sequentially("<i>literally</i>")
    box.press("Enter")
    expect(log.locator(".message.operator .text")).to_have_text(["Hello! I am Anna.\n<i>literally</i>"])
    expect(box).to_have_value("")

    page.get_by_label("Private note").check()
    page.get_by_role("textbox", name="Write a private note").fill("VIP customer")
    page.get_by_role("button", name="Send").click()
    expect(log.locator(".message.note .text")).to_have_text(["VIP customer"])
    wait_for(lambda: Message.objects.filter(conversation=conversation, is_note=True, text="VIP customer").exists())

    # A failed delivery shows its error and a retry button, updated live.
    reply = Message.objects.get(conversation=conversation, author_kind="operator", is_note=False)
    in_thread(do_mark_delivery, message_id=reply.pk, state="failed", error="Bot was blocked by the user")
    expect(log.get_by_text("Bot was blocked by the user")).to_be_visible()
    log.get_by_role("button", name="Send again").click()
    expect(log.get_by_text("Bot was blocked by the user")).to_have_count(0)
    expect(log.locator(".delivery.sent")).to_have_count(1)

    # Customer panel: name, connector, identities.
    panel = page.get_by_role("complementary", name="Customer")
    expect(panel).to_contain_text("Olga")
    expect(panel.locator(".identities")).to_have_text("Site chat Olga")  # a name, not the visitor's raw id
    save_screenshot(page, "workspace")

    # Closing needs exactly one reason.
    page.get_by_role("button", name="Close chat").click()
    dialog = page.get_by_role("dialog", name="Close the chat")
    dialog.get_by_label("Order: where is it").check()
    dialog.get_by_role("button", name="Close chat").click()
    expect(tab).to_have_count(0)
    closed = wait_for(lambda: Conversation.objects.filter(pk=conversation.pk, state="closed").first())
    assert closed.reason_id == reason.pk
    assert list(Message.objects.filter(conversation=conversation).values_list("text", flat=True)) == [
        XSS,
        "Hello! I am Anna.\n<i>literally</i>",
        "VIP customer",
        "Anna closed the chat.",  # the transcript's line both sides read
    ]


def test_the_queue_ticks_and_new_chats_raise_a_title_notification(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    operator = online(make_operator, "Anna")
    in_thread(do_set_operator_status, operator_id=operator.pk, status="away")
    page = new_page()
    operator_logs_in(page, operator)
    expect(page.get_by_role("combobox", name="My status")).to_have_value("away")

    shopper_writes("v-1", "anyone there?", name="Ivan")
    item = page.locator(".queue-item").filter(has_text="Ivan")
    expect(item).to_be_visible()
    expect(item.locator(".wait")).to_have_text("0:00")
    expect(item.locator(".wait")).to_have_text("0:01", timeout=2500)

    # Going online takes the waiting chat; the tab title announces it.
    page.get_by_role("combobox", name="My status").select_option("online")
    expect(page.get_by_role("tab", name="Chat with Ivan")).to_be_visible()
    expect(item).to_have_count(0)
    shopper_writes("v-2", "me too", name="Pyotr")
    expect(page.get_by_role("tab", name="Chat with Pyotr, 1 unread")).to_be_visible()
    assert page.title().startswith("(1)")


def test_russian_workspace_names_every_control(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    operator = online(make_operator, "Ирина", language="ru")
    page = new_page(locale="ru-RU")
    page.goto("/workspace/")
    page.get_by_label("Логин").fill(operator.user.username)
    page.get_by_label("Пароль").fill("pw-123456")
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_role("combobox", name="Мой статус")).to_have_value("online")
    shopper_writes("v-ru", "Здравствуйте", name="Олег")
    expect(page.get_by_role("tab", name="Чат с покупателем: Олег")).to_be_visible()
    expect(page.get_by_role("textbox", name="Ответ покупателю")).to_be_visible()
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('button, select, textarea, input:not([type=hidden])')]
            .filter(e => e.offsetParent !== null)
            .filter(e => !(e.getAttribute('aria-label') || e.labels?.length || e.textContent.trim()))
            .map(e => e.outerHTML)"""
    )
    assert unnamed == []


def test_transfer_to_a_colleague_moves_the_chat_between_workspaces(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    anna = online(make_operator, "Anna")
    anna_page = new_page()
    operator_logs_in(anna_page, anna)
    conversation = shopper_writes("v-1", "I need a bigger size", name="Olga")
    expect(anna_page.get_by_role("tab", name="Chat with Olga")).to_be_visible()
    boris = online(make_operator, "Boris")
    boris_page = new_page()
    operator_logs_in(boris_page, boris)

    anna_page.get_by_role("button", name="Transfer").click()
    dialog = anna_page.get_by_role("dialog", name="Transfer the chat")
    dialog.get_by_label("To").select_option(f"operator:{boris.pk}")
    dialog.get_by_role("button", name="Transfer").click()

    expect(anna_page.get_by_role("tab", name="Chat with Olga")).to_have_count(0)
    expect(boris_page.get_by_role("tab", name="Chat with Olga")).to_be_visible()
    expect(boris_page.get_by_role("log", name="Chat with Olga")).to_contain_text("I need a bigger size")
    assert Conversation.objects.get(pk=conversation.pk).operator_id == boris.pk
