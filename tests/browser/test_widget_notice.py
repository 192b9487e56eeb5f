"""A shopper who agreed to notices in the widget sees "your parcel is late" appear in the open widget,
in their language, with the answer's link and "Still need help", which opens the chat with the order
and the question (real Chromium, English and Russian)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from chat.actions import do_set_operator_status
from chat.models import Contact, Conversation, Message, Operator
from kb.demo import load_kb_demo
from orders.models import ConversationOrder, Order
from preshot.actions import do_consent_to_notices, do_load_default_rules
from preshot.notices import send_due_notices
from tests.browser.conftest import PHONE, in_thread, save_screenshot, wait_for

pytestmark = [pytest.mark.browser]

TEXT = {
    "en": {
        "locale": "en-US",
        "open": "Open chat",
        "input": "Your message",
        "question": "My parcel is late against the carrier's promise",
        "article": "Your parcel is late",
        "help": "Still need help",
        "track": "Track the parcel",
        "asked": "Still need help with order PROM-1: My parcel is late against the carrier's promise",
    },
    "ru": {
        "locale": "ru-RU",
        "open": "Открыть чат",
        "input": "Ваше сообщение",
        "question": "Посылка не пришла к обещанному сроку",
        "article": "Посылка задерживается",
        "help": "Нужна помощь",
        "track": "Отследить посылку",
        "asked": "Всё ещё нужна помощь по заказу PROM-1: Посылка не пришла к обещанному сроку",
    },
}


def late_order_for(contact_id: int, language: str) -> None:
    """What the shop and the shopper did before: a parcel past its promise, notices agreed to."""
    Contact.objects.filter(pk=contact_id).update(language=language)
    now = timezone.now()
    Order.objects.create(
        number="PROM-1", status="shipped", placed_at=now - timedelta(days=4), shipped_at=now - timedelta(days=3),
        status_changed_at=now - timedelta(days=3), promised_delivery_at=now - timedelta(hours=5),
        contact_id=contact_id, tracking_url="https://carrier.example/t/PROM-1",
    )  # fmt: skip
    do_consent_to_notices(contact_id=contact_id, connector="widget")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_open_widget_shows_the_late_notice_and_still_need_help_opens_the_chat(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page], language: str
) -> None:
    text = TEXT[language]
    in_thread(load_kb_demo)
    in_thread(do_load_default_rules)
    operator = in_thread(make_operator, "Anna")
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    page = new_page(locale=text["locale"], **PHONE)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/")
    page.get_by_role("button", name=text["open"]).click()
    box = page.get_by_role("textbox", name=text["input"])
    box.fill("Hello")
    box.press("Enter")
    expect(page.locator(".sbw-pending")).to_have_count(0)
    conversation = wait_for(lambda: Conversation.objects.order_by("-id").first())
    in_thread(late_order_for, conversation.contact_id, language)

    assert in_thread(send_due_notices) == 1
    notice = page.locator(".sbw-ordernotice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("PROM-1")
    expect(notice).to_contain_text(text["question"])
    expect(notice.get_by_role("link", name=text["article"])).to_have_attribute("target", "_blank")
    expect(notice.get_by_role("link", name=text["track"])).to_have_attribute("href", "https://carrier.example/t/PROM-1")
    save_screenshot(page, f"widget-late-notice-{language}")

    notice.get_by_role("button", name=text["help"]).click()
    expect(page.locator(".sbw-shopper .sbw-text").last).to_have_text(text["asked"])
    wait_for(lambda: Message.objects.filter(conversation=conversation, text=text["asked"]).exists())
    # The chat is about the order (the operator's panel marks it), not only worded so.
    about = wait_for(lambda: ConversationOrder.objects.filter(conversation=conversation).first())
    assert (about.order.number, about.chosen_by) == ("PROM-1", "shopper")
    assert errors == []
