"""What a shopper meets at the edges of the widget: long pastes, ending a chat, the greeting, the rating."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from chat.actions import do_close, do_operator_reply, do_set_operator_status
from chat.models import Conversation, Message, Operator, Reason
from tests.browser.conftest import in_thread, save_screenshot, wait_for

pytestmark = [pytest.mark.browser]

GREETINGS = {"en": "Welcome to Northwind! Ask us anything.", "ru": "Добро пожаловать в Northwind! Спрашивайте."}


@pytest.fixture(scope="module", autouse=True)
def _shop_set_greeting() -> Iterator[None]:
    """The shop's own greeting, set before this module's live server starts."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SWITCHBOARD_GREETING_EN", GREETINGS["en"])
        patch.setenv("SWITCHBOARD_GREETING_RU", GREETINGS["ru"])
        yield


def online_operator(make_operator: Callable[..., Operator], name: str = "Anna") -> Operator:
    operator = in_thread(make_operator, name)
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    return operator


def open_chat(page: Page, path: str = "/") -> None:
    page.goto(path)
    page.get_by_role("button", name="Open chat").click()


def assigned_chat(page: Page, operator: Operator) -> Conversation:
    box = page.get_by_role("textbox", name="Your message")
    box.fill("Where is my order?")
    box.press("Enter")
    return wait_for(lambda: Conversation.objects.filter(operator=operator).first())


def test_a_paste_over_the_limit_is_refused_visibly_and_kept_in_the_box(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    online_operator(make_operator)
    page = new_page()
    open_chat(page)
    box = page.get_by_role("textbox", name="Your message")
    pasted = "долгий текст " * 400  # 5,200 characters
    box.fill(pasted)
    expect(box).to_have_value(pasted)  # nothing cut off
    expect(page.locator(".sbw-count")).to_have_text(
        f"{len(pasted)} of 4096 characters: shorten the message to send it."
    )
    send = page.get_by_role("button", name="Send", exact=True)
    expect(send).to_be_disabled()
    box.press("Enter")
    expect(box).to_have_value(pasted)
    assert not Message.objects.exists()
    save_screenshot(page, "widget-too-long")

    box.fill(pasted[:4096])
    expect(page.locator(".sbw-count")).to_be_hidden()
    expect(send).to_be_enabled()
    box.press("Enter")
    wait_for(lambda: Message.objects.filter(text=pasted[:4096]).exists())


def test_ending_a_chat_asks_first(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    operator = online_operator(make_operator)
    page = new_page()
    open_chat(page)
    conversation = assigned_chat(page, operator)
    expect(page.locator(".sbw-status")).to_have_text("Anna is here to help")

    page.get_by_role("button", name="End chat").click()
    confirm = page.get_by_role("alertdialog", name="End this chat?")
    expect(confirm).to_be_visible()
    save_screenshot(page, "widget-end-confirm")
    confirm.get_by_role("button", name="Keep chatting").click()
    expect(confirm).to_be_hidden()
    page.wait_for_timeout(300)
    assert Conversation.objects.get(pk=conversation.pk).state == "active"

    page.get_by_role("button", name="End chat").click()
    confirm.get_by_role("button", name="End chat").click()
    wait_for(lambda: Conversation.objects.get(pk=conversation.pk).state == "closed")
    expect(page.locator(".sbw-status")).to_contain_text("The chat has ended")


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_new_chat_opens_with_the_shops_greeting_in_the_shoppers_language(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page], lang: str
) -> None:
    expected = GREETINGS[lang]
    online_operator(make_operator)
    page = new_page(locale="ru-RU" if lang == "ru" else "en-US")
    page.goto("/")  # the shop page follows the browser's language, and the widget the page's
    page.get_by_role("button", name="Открыть чат" if lang == "ru" else "Open chat").click()
    greeting = page.locator(".sbw-log .sbw-greeting .sbw-text")
    expect(greeting).to_have_text(expected)
    assert not Message.objects.exists()  # shown, not stored as a message
    save_screenshot(page, f"widget-greeting-{lang}")


def visible_in_log(page: Page, text: str) -> bool:
    """The bubble with ``text`` lies wholly inside the message list's visible area."""
    return page.evaluate(
        """(text) => {
            const log = document.querySelector('.sbw-log');
            const bubble = [...log.querySelectorAll('.sbw-msg')].find(n => n.textContent.includes(text));
            const a = log.getBoundingClientRect(), b = bubble.getBoundingClientRect();
            return b.top >= a.top - 1 && b.bottom <= a.bottom + 1 && a.height > 80;
        }""",
        text,
    )


def test_the_rating_prompt_keeps_the_last_reply_in_view(
    transactional_db: None, make_operator: Callable[..., Operator], reason: Reason, new_page: Callable[..., Page]
) -> None:
    operator = online_operator(make_operator)
    page = new_page()
    open_chat(page)
    conversation = assigned_chat(page, operator)
    for n in range(8):
        in_thread(do_operator_reply, conversation_id=conversation.pk, operator_id=operator.pk, text=f"Step {n} " * 12)
    last = "Your parcel arrives tomorrow. Anything else?"
    in_thread(do_operator_reply, conversation_id=conversation.pk, operator_id=operator.pk, text=last)
    expect(page.locator(".sbw-operator .sbw-text").last).to_have_text(last)
    assert visible_in_log(page, last)

    in_thread(do_close, conversation_id=conversation.pk, operator_id=operator.pk, reason_id=reason.pk)
    expect(page.locator(".sbw-rate")).to_be_visible()
    page.wait_for_timeout(300)
    assert visible_in_log(page, last)
    save_screenshot(page, "widget-rating-last-reply")


def test_in_russian_the_end_question_and_the_length_warning_read_russian(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    operator = online_operator(make_operator)
    page = new_page(locale="ru-RU")
    page.goto("/")
    page.get_by_role("button", name="Открыть чат").click()
    box = page.get_by_role("textbox", name="Ваше сообщение")
    box.fill("Где мой заказ?")
    box.press("Enter")
    wait_for(lambda: Conversation.objects.filter(operator=operator).exists())
    box.fill("ы" * 4100)
    expect(page.locator(".sbw-count")).to_have_text("4100 из 4096 символов: сократите сообщение, чтобы отправить.")
    page.get_by_role("button", name="Завершить чат").click()
    expect(page.get_by_role("alertdialog", name="Завершить этот чат?")).to_be_visible()
    save_screenshot(page, "widget-end-confirm-ru")


def test_an_offline_message_over_the_limit_is_refused_not_cut(
    transactional_db: None, queues: object, new_page: Callable[..., Page]
) -> None:
    page = new_page()  # nobody online: the widget offers the offline form
    open_chat(page)
    page.get_by_label("Email").fill("ivan@example.com")
    long_message = "Please call me back about order 1042. " * 110  # 4,180 characters
    page.get_by_label("Message", exact=True).fill(long_message)
    expect(page.get_by_label("Message", exact=True)).to_have_value(long_message)
    page.get_by_role("button", name="Send message").click()
    expect(page.locator(".sbw-notice")).to_have_text("The message is longer than 4096 characters.")
    expect(page.get_by_label("Message", exact=True)).to_have_value(long_message)
    page.wait_for_timeout(300)
    assert not Message.objects.exists()
