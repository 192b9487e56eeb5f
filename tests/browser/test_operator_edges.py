"""What an operator meets on a first day: canned replies, long replies, the customer card, the queue's
name, the page's requests and icon, and being told about new chats while looking elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import APIResponse, Page, expect

from chat.actions import InboundMessage, do_receive_inbound, do_set_operator_status
from chat.actions.setup import do_ensure_canned_reply
from chat.models import Conversation, Message, Operator
from tests.browser.conftest import in_thread, save_screenshot, wait_for

pytestmark = [pytest.mark.browser]

# Records every desktop notification the page constructs (the real one needs a desktop to show)
# and every beep it plays.
RECORD_NOTIFICATIONS = """
(() => {
  window.__notifications = [];
  class Recorded {
    constructor(title, options) { window.__notifications.push({ title, body: (options || {}).body || "" }); }
    close() {}
    static get permission() { return "granted"; }
    static requestPermission() { return Promise.resolve("granted"); }
  }
  window.Notification = Recorded;
  window.__beeps = 0;
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...args) { window.__beeps += 1; return start.apply(this, args); };
})();
"""


def online(make_operator: Callable[..., Operator], name: str, **kwargs: Any) -> Operator:
    operator = in_thread(make_operator, name, **kwargs)
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    return operator


def logs_in(page: Page, operator: Operator, login: str = "Login", password: str = "Password") -> None:
    page.goto("/workspace/")
    page.get_by_label(login).fill(operator.user.username)
    page.get_by_label(password).fill("pw-123456")
    page.locator("button[type=submit]").click()
    expect(page.locator("#connection.live")).to_be_visible()
    expect(page.locator("body[data-ready=true]")).to_have_count(1)  # state loaded, events apply live


def shopper_writes(sender: str, text: str, name: str = "", **kwargs: Any) -> Conversation:
    kwargs.setdefault("connector", "widget")
    inbound = InboundMessage(sender_id=sender, text=text, sender_name=name, **kwargs)
    return in_thread(do_receive_inbound, inbound).conversation


def test_canned_replies_offer_the_shoppers_language_first(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    operator = online(make_operator, "Anna")  # works in English
    in_thread(do_ensure_canned_reply, shortcut="hello", language="en", text="Hello! How can I help?")
    in_thread(do_ensure_canned_reply, shortcut="hello", language="ru", text="Здравствуйте! Чем помочь?")
    page = new_page()
    logs_in(page, operator)
    shopper_writes("v-ru", "Где мой заказ?", name="Олег", language="ru")
    box = page.get_by_role("textbox", name="Reply to the customer")
    box.press_sequentially("/hel")
    options = page.get_by_role("listbox", name="Canned replies").get_by_role("option")
    expect(options).to_have_count(2)
    expect(options.first).to_contain_text("Здравствуйте! Чем помочь?")
    box.press("Enter")
    expect(box).to_have_value("Здравствуйте! Чем помочь?")


def test_a_reply_over_the_limit_is_refused_visibly_and_kept(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    operator = online(make_operator, "Anna")
    page = new_page()
    logs_in(page, operator)
    conversation = shopper_writes("v-1", "Please paste the return policy", name="Ivan")
    box = page.get_by_role("textbox", name="Reply to the customer")
    policy = "Returns are free within 30 days. " * 130  # 4,290 characters
    box.fill(policy)
    expect(box).to_have_value(policy)
    note = page.locator(".length-note")
    expect(note).to_have_text(f"{len(policy)} of 4096 characters: shorten the message to send it.")
    expect(page.locator(".composer button[type=submit]")).to_be_disabled()
    box.press("Enter")
    expect(box).to_have_value(policy)
    assert not Message.objects.filter(conversation=conversation, author_kind="operator").exists()
    box.fill(policy[:4096])
    expect(note).to_be_hidden()
    box.press("Enter")
    wait_for(lambda: Message.objects.filter(conversation=conversation, text=policy[:4096]).exists())


def test_the_customer_card_shows_identities_as_people_read_them(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    operator = online(make_operator, "Anna")
    page = new_page()
    logs_in(page, operator)
    shopper_writes(
        "555001",
        "Hi from Telegram",
        name="Anna Ivanova",
        connector="telegram",
        identity_details={"chat_id": 555001, "username": "anna_iv"},
    )
    panel = page.get_by_role("complementary", name="Customer")
    expect(panel.locator(".identities")).to_contain_text("Anna Ivanova")
    expect(panel.get_by_role("link", name="@anna_iv")).to_have_attribute("href", "https://t.me/anna_iv")
    expect(panel.locator(".identities")).not_to_contain_text("555001")

    visitor = "3f9a0c1e5b7d4a2c9e8f6a1b2c3d4e5f"
    shopper_writes(visitor, "Hi from the site")
    page.get_by_role("tab", name="Chat with Visitor").click()
    card = page.locator(".chat:not([hidden]) .customer .identities")
    expect(card).to_have_text("Site chat Site visitor")
    save_screenshot(page, "workspace-customer-identities")


def test_russian_workspace_names_the_queue_and_the_length_limit_in_russian(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    operator = online(make_operator, "Ирина", language="ru")
    page = new_page(locale="ru-RU")
    logs_in(page, operator, login="Логин", password="Пароль")
    shopper_writes("v-ru", "Здравствуйте", name="Олег")
    expect(page.locator(".chat-subtitle")).to_contain_text("Общие вопросы")
    assert "General" not in page.locator(".chat-subtitle").inner_text()
    page.get_by_role("textbox", name="Ответ покупателю").fill("я" * 4100)
    expect(page.locator(".length-note")).to_have_text("4100 из 4096 символов: сократите сообщение, чтобы отправить.")
    expect(page.locator(".identities")).to_have_text("Чат на сайте Олег")
    save_screenshot(page, "workspace-too-long-ru")


def test_an_operators_page_asks_only_what_it_may_and_has_an_icon(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    operator = online(make_operator, "Anna")
    manager = online(make_operator, "Maria", is_manager=True)
    page = new_page()
    refused: list[str] = []
    asked: list[str] = []
    page.on("response", lambda r: refused.append(r.url) if r.status >= 400 else None)
    page.on("request", lambda r: asked.append(r.url))
    logs_in(page, operator)
    page.wait_for_timeout(1000)
    assert refused == []
    assert not [url for url in asked if "/api/ratings/flagged" in url]

    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon is not None
    answer: APIResponse = page.request.get(icon)
    assert answer.status == 200 and "svg" in answer.headers["content-type"]
    assert page.request.get("/favicon.ico").status == 200  # followed to the same icon
    page.goto("/workspace/login/")
    expect(page.locator("link[rel=icon]")).to_have_count(1)

    boss = new_page()
    logs_in(boss, manager)
    expect(boss.get_by_role("heading", name="Ratings to review")).to_be_visible()


def test_a_new_chat_and_a_message_behind_another_tab_ring_notify_and_count_in_the_title(
    transactional_db: None, make_operator: Callable[..., Operator], new_context: Callable[..., Any]
) -> None:
    operator = online(make_operator, "Anna")
    context = new_context(permissions=["notifications"])
    context.add_init_script(RECORD_NOTIFICATIONS)
    page = context.new_page()
    logs_in(page, operator)
    shopper_writes("v-1", "first question", name="Ivan")
    expect(page.get_by_role("tab", name="Chat with Ivan")).to_be_visible()

    # A second chat arrives while Ivan's is in front: a notification, and the title counts it.
    shopper_writes("v-2", "is anyone there?", name="Pyotr")
    expect(page.get_by_role("tab", name="Chat with Pyotr, 1 unread")).to_be_visible()
    wait_for(lambda: page.evaluate("window.__notifications.length") >= 1)
    shopper_writes("v-2", "hello?", name="Pyotr")
    expect(page.get_by_role("tab", name="Chat with Pyotr, 2 unread")).to_be_visible()
    expect(page).to_have_title("(2) New message · Workspace · Switchboard")
    notes = page.evaluate("window.__notifications")
    assert {"title": "New chat", "body": "Pyotr"} in notes
    assert {"title": "New message from Pyotr", "body": "hello?"} in notes
    assert {"title": "New chat", "body": "Ivan"} in notes
    beeps = page.evaluate("window.__beeps")
    assert beeps >= 2  # a sound for each arrival (a new chat and its first message ring once)
    shopper_writes("v-1", "second question", name="Ivan")  # the chat in front needs no alert
    expect(page.locator(".message.shopper .text").filter(has_text="second question")).to_be_visible()
    assert not [n for n in page.evaluate("window.__notifications") if n["title"] == "New message from Ivan"]
    assert page.evaluate("window.__beeps") == beeps

    page.get_by_role("tab", name="Chat with Pyotr, 2 unread").click()
    expect(page).to_have_title("Workspace · Switchboard")
