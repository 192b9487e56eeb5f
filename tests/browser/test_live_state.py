"""What shoppers and operators see change the moment a chat changes hands, in real Chromium:
an operator going offline, a transfer, a close nobody answered, nobody online for a queue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from chat.actions import do_close, do_operator_reply, do_set_operator_status, do_transfer
from chat.models import Conversation, Operator, Reason
from tests.browser.conftest import in_thread, save_screenshot, wait_for

pytestmark = [pytest.mark.browser]

TEXTS = {
    "en": {"open": "Open chat", "box": "Your message"},
    "ru": {"open": "Открыть чат", "box": "Ваше сообщение"},
}


def online(make_operator: Callable[..., Operator], name: str, **kwargs: Any) -> Operator:
    operator = in_thread(make_operator, name, **kwargs)
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    return operator


def logs_in(page: Page, operator: Operator) -> None:
    page.goto("/workspace/")
    page.get_by_label("Login").fill(operator.user.username)
    page.get_by_label("Password").fill("pw-123456")
    page.locator("button[type=submit]").click()
    expect(page.locator("#connection.live")).to_be_visible()
    expect(page.locator("body[data-ready=true]")).to_have_count(1)


def shopper_opens_chat(new_page: Callable[..., Page], text: str, lang: str = "en") -> tuple[Page, Conversation]:
    page = new_page(locale="ru-RU" if lang == "ru" else "en-US")
    page.goto("/")
    page.get_by_role("button", name=TEXTS[lang]["open"]).click()
    box = page.get_by_role("textbox", name=TEXTS[lang]["box"])
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".sbw-pending")).to_have_count(0)
    conversation = wait_for(lambda: Conversation.objects.filter(messages__text=text).first())
    return page, conversation


def header(page: Page) -> Any:
    return page.locator(".sbw-status")


def system_lines(page: Page) -> Any:
    return page.locator(".sbw-log .sbw-system .sbw-text")


def test_an_operator_going_offline_changes_tabs_headers_and_positions_without_a_reload(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    anna = online(make_operator, "Anna", cap=2)
    english, _ = shopper_opens_chat(new_page, "Where is my order?")
    russian, _ = shopper_opens_chat(new_page, "Где мой заказ?", lang="ru")
    expect(header(english)).to_have_text("Anna is here to help")
    expect(header(russian)).to_have_text("Вам отвечает Anna")
    waiting, _ = shopper_opens_chat(new_page, "Is anyone there?")
    expect(header(waiting)).to_contain_text("You are number 1 in the queue")
    workspace = new_page()
    logs_in(workspace, anna)
    expect(workspace.get_by_role("tab")).to_have_count(2)

    in_thread(do_set_operator_status, operator_id=anna.pk, status="offline")

    expect(workspace.get_by_role("tab")).to_have_count(0)
    expect(workspace.locator("#flash")).to_contain_text("The chat went back to the queue.")
    expect(workspace.locator("#queue-list .queue-item")).to_have_count(3)
    expect(system_lines(english)).to_have_text(
        ["Anna is no longer available. You are back at the head of the queue: the next free operator will answer."]
    )
    expect(header(english)).to_contain_text("You are number 1 in the queue")
    expect(header(english)).to_contain_text("Nobody who can answer this is online right now.")
    expect(system_lines(russian)).to_have_text(
        ["Anna больше не на связи. Вы снова первый в очереди: ответит первый освободившийся оператор."]
    )
    expect(header(russian)).to_contain_text("Вы 2-й в очереди")
    expect(header(waiting)).to_contain_text("You are number 3 in the queue")
    save_screenshot(english, "live-requeued-en")
    save_screenshot(russian, "live-requeued-ru")
    save_screenshot(workspace, "live-requeued-workspace")

    online(make_operator, "Boris", cap=1)
    expect(header(english)).to_have_text("Boris is here to help")
    expect(header(russian)).to_contain_text("Вы 1-й в очереди")
    expect(header(waiting)).to_contain_text("You are number 2 in the queue")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_transfer_and_a_close_leave_lines_both_sides_read(
    transactional_db: None,
    make_operator: Callable[..., Operator],
    reason: Reason,
    new_page: Callable[..., Page],
    lang: str,
) -> None:
    anna = online(make_operator, "Anna", cap=1)
    page, conversation = shopper_opens_chat(new_page, "Help with a return", lang=lang)
    boris = online(make_operator, "Boris", cap=1)
    workspace = new_page()
    logs_in(workspace, boris)

    in_thread(do_transfer, conversation_id=conversation.pk, actor_operator_id=anna.pk, to_operator_id=boris.pk)

    line = {"en": "Anna handed the chat over to Boris.", "ru": "Anna передаёт чат: вам ответит Boris."}[lang]
    expect(system_lines(page)).to_have_text([line])
    expect(header(page)).to_have_text({"en": "Boris is here to help", "ru": "Вам отвечает Boris"}[lang])
    expect(workspace.get_by_role("tab")).to_have_count(1)
    expect(workspace.locator(".log .message.system .text")).to_have_text([line])
    save_screenshot(page, f"live-transfer-{lang}")
    save_screenshot(workspace, f"live-transfer-workspace-{lang}")

    in_thread(do_operator_reply, conversation_id=conversation.pk, operator_id=boris.pk, text="Sure.")
    in_thread(do_close, conversation_id=conversation.pk, operator_id=boris.pk, reason_id=reason.pk)
    closed = {"en": "Boris closed the chat.", "ru": "Boris завершает чат."}[lang]
    expect(system_lines(page)).to_have_text([line, closed])
    expect(workspace.get_by_role("tab")).to_have_count(0)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_chat_nobody_answered_ends_with_why_and_an_offer_to_leave_a_message(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page], lang: str
) -> None:
    online(make_operator, "Anna", cap=1)
    shopper_opens_chat(new_page, "first")  # Anna is busy with this one
    page, conversation = shopper_opens_chat(new_page, "Hello?", lang=lang)
    expect(header(page)).to_contain_text({"en": "You are number 1 in the queue", "ru": "Вы 1-й в очереди"}[lang])

    in_thread(do_close, conversation_id=conversation.pk, by="system", only_if_queued=True)

    why = {
        "en": "The chat ended before an operator could answer: everyone was busy. Leave us a message with your "
        "email or phone and we will answer.",
        "ru": "Чат завершён, никто из операторов не успел ответить: все были заняты. Оставьте сообщение с почтой "
        "или телефоном, и мы ответим.",
    }[lang]
    expect(system_lines(page)).to_have_text([why])
    expect(header(page)).to_contain_text({"en": "Nobody could answer in time.", "ru": "Никто не успел ответить."}[lang])
    offer = page.locator(".sbw-offer")
    expect(offer).to_be_visible()
    save_screenshot(page, f"live-unanswered-{lang}")
    offer.get_by_role("button", name={"en": "Leave a message", "ru": "Оставить сообщение"}[lang]).click()
    expect(page.locator(".sbw-offline")).to_be_visible()


def test_the_stylist_queue_with_no_stylist_online_says_so_plainly(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    online(make_operator, "Anna")  # general only: no stylist
    page = new_page()
    page.goto("/")
    page.get_by_role("button", name="Open chat").click()
    page.get_by_role("button", name="Stylist consultation").click()
    expect(header(page)).to_contain_text("You are number 1 in the queue. Nobody who can answer this is online")
    expect(page.locator(".sbw-offer")).to_contain_text("Rather not wait?")
    save_screenshot(page, "live-nobody-online")


def test_a_waiting_shopper_is_offered_to_leave_a_contact_and_keeps_the_chat(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    online(make_operator, "Anna", cap=1)
    shopper_opens_chat(new_page, "first")
    page, conversation = shopper_opens_chat(new_page, "second")
    expect(page.locator(".sbw-offer")).to_be_hidden()
    # Test setup: this shopper has waited past the offer's threshold (SWITCHBOARD_OFFER_MESSAGE_AFTER_SECONDS).
    Conversation.objects.filter(pk=conversation.pk).update(queued_at=timezone.now() - timedelta(minutes=10))
    page.reload()  # the widget asks again every 20 s; a reload asks at once
    offer = page.locator(".sbw-offer")
    expect(offer).to_contain_text("Rather not wait?")
    offer.get_by_role("button", name="Leave a message").click()
    page.get_by_label("Email").fill("oleg@example.com")
    page.locator(".sbw-offline button[type=submit]").click()
    expect(system_lines(page)).to_contain_text(["Thank you: we will answer at oleg@example.com"])
    expect(offer).to_be_hidden()
    expect(header(page)).to_contain_text("You are number 1 in the queue")
    stored = Conversation.objects.select_related("contact").get(pk=conversation.pk)
    assert (stored.state, stored.is_offline, stored.contact.email) == ("queued", True, "oleg@example.com")
    save_screenshot(page, "live-offer-while-waiting")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_no_first_reply_in_time_sends_the_chat_on_to_the_next_operator(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page], lang: str
) -> None:
    from chat.actions import do_requeue_unanswered_chats
    from chat.models import ConversationStep, Queue

    anna = online(make_operator, "Anna", cap=1)
    page, conversation = shopper_opens_chat(new_page, "Hello?", lang=lang)
    workspace = new_page()
    logs_in(workspace, anna)
    expect(workspace.get_by_role("tab")).to_have_count(1)
    boris = online(make_operator, "Boris", cap=1)
    # Test setup: the manager's limit on the queue (admin, Queues), and Anna silent for a minute.
    Queue.objects.filter(slug="general").update(first_reply_timeout_seconds=30)
    minute_ago = timezone.now() - timedelta(seconds=60)
    ConversationStep.objects.filter(conversation=conversation).update(at=minute_ago)
    Conversation.objects.filter(pk=conversation.pk).update(response_clock_at=minute_ago)

    assert in_thread(do_requeue_unanswered_chats) == [conversation.pk]

    expect(workspace.get_by_role("tab")).to_have_count(0)
    expect(workspace.locator("#flash")).to_contain_text("The chat went back to the queue.")
    line = {
        "en": "Anna could not answer in time. You are back at the head of the queue: the next free operator "
        "will answer.",
        "ru": "Anna не успевает ответить. Вы снова первый в очереди: ответит первый освободившийся оператор.",
    }[lang]
    expect(system_lines(page)).to_have_text([line])
    expect(header(page)).to_have_text({"en": "Boris is here to help", "ru": "Вам отвечает Boris"}[lang])
    assert Conversation.objects.get(pk=conversation.pk).operator_id == boris.pk
    save_screenshot(page, f"live-no-first-reply-{lang}")
