"""The customer's orders beside the chat, in real Chromium (English and Russian)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from chat.actions import InboundMessage, do_receive_inbound, do_set_contact_details, do_set_operator_status
from chat.models import Conversation, Operator
from orders.actions import do_upsert_batch
from orders.models import ConversationOrder
from orders.schemas import BatchIn
from tests.browser.conftest import in_thread, save_screenshot, wait_for

pytestmark = [pytest.mark.browser]

XSS = '<img src=x onerror="window.__pwned=1">'


def push_orders() -> None:
    do_upsert_batch(
        BatchIn.model_validate(
            {
                "customers": [{"id": "C-77", "name": "Olga", "email": "olga@example.com"}],
                "orders": [
                    {
                        "number": "10012",
                        "status": "delivered",
                        "customer_id": "C-77",
                        "currency": "EUR",
                        "total": "39.80",
                        "placed_at": "2026-10-01T10:00:00+00:00",
                        "delivered_at": "2026-10-05T10:00:00+00:00",
                        "items": [{"name": "T-shirt", "quantity": 2, "price": "19.90"}],
                    },
                    {
                        "number": "10234",
                        "status": "paid",
                        "customer_id": "C-77",
                        "currency": "EUR",
                        "total": "89.90",
                        "placed_at": "2026-11-28T10:15:00+00:00",
                        "paid_at": "2026-11-28T10:16:00+00:00",
                        "delivery_address": XSS,
                        "items": [{"name": "Wool coat " + XSS, "quantity": 1, "price": "79.90"}],
                    },
                ],
            }
        )
    )
    # The next push ships it: a status change the history shows.
    do_upsert_batch(
        BatchIn.model_validate(
            {
                "orders": [
                    {
                        "number": "10234",
                        "status": "shipped",
                        "shipped_at": "2026-11-30T08:00:00+00:00",
                        # The carrier's promise, already past: the panel marks the parcel late.
                        "promised_delivery_at": "2026-12-02T18:00:00+00:00",
                        "carrier": "DHL",
                        "tracking_number": "JJD000390007",
                        "tracking_url": "https://www.dhl.com/track?id=JJD000390007",
                    }
                ]
            }
        )
    )


LANGUAGES: list[tuple[str, dict[str, Any]]] = [
    (
        "en",
        {
            "locale": "en-US",
            "login": ("Login", "Password", "Sign in"),
            "title": "Orders",
            "order": "Order 10234",
            "stage": "Shipped",
            "about": "Likely what the chat is about",
            "track": "JJD000390007",
            "history": ["Paid", "Shipped"],
            "pick": "The chat is about this order",
            "picked": "Picked by an operator",
            "promised": ("Promised by", "Dec 2, 2026 late"),
            "delivered": "Delivered",
        },
    ),
    (
        "ru",
        {
            "locale": "ru-RU",
            "login": ("Логин", "Пароль", "Войти"),
            "title": "Заказы",
            "order": "Заказ 10234",
            "stage": "Отправлен",
            "about": "Скорее всего, чат об этом заказе",
            "track": "JJD000390007",
            "history": ["Оплачен", "Отправлен"],
            "pick": "Чат об этом заказе",
            "picked": "Выбран оператором",
            "promised": ("Обещано к", "2 дек. 2026 г. опаздывает"),
            "delivered": "Доставлен",
        },
    ),
]


@pytest.mark.parametrize(("language", "texts"), LANGUAGES, ids=[code for code, _ in LANGUAGES])
def test_the_panel_shows_the_customers_orders_and_which_one_the_chat_is_about(
    transactional_db: None,
    make_operator: Callable[..., Operator],
    new_page: Callable[..., Page],
    language: str,
    texts: dict[str, Any],
) -> None:
    operator = in_thread(make_operator, "Anna", language=language)
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    in_thread(push_orders)
    # The shopper signs in on the shop's site (the widget's signed customer), then writes.
    in_thread(
        do_set_contact_details,
        connector="widget",
        sender_id="customer:C-77",
        name="Olga",
        email="olga@example.com",
        customer_id="C-77",
        verified=True,
    )
    in_thread(
        do_receive_inbound,
        InboundMessage(connector="widget", sender_id="customer:C-77", sender_name="Olga", text="Where is my coat?"),
    )

    page = new_page(locale=texts["locale"], viewport={"width": 1280, "height": 900})
    order_reads: list[str] = []
    page.on("request", lambda request: order_reads.append(request.url) if request.url.endswith("/orders") else None)
    page.goto("/workspace/")
    login, password, sign_in = texts["login"]
    page.get_by_label(login).fill(operator.user.username)
    page.get_by_label(password).fill("pw-123456")
    page.get_by_role("button", name=sign_in).click()

    panel = page.get_by_role("region", name=texts["title"])
    expect(panel).to_be_visible()
    current = panel.locator("details.order", has_text=texts["order"])
    expect(current).to_have_attribute("open", "")
    expect(current.locator(".order-stage")).to_have_text(texts["stage"])
    expect(current.locator(".order-about")).to_have_text(texts["about"])
    expect(current.locator(".order-items li")).to_have_text(
        [f"1 × Wool coat {XSS} €79.90" if language == "en" else f"1 × Wool coat {XSS} 79,90 €"]
    )
    link = current.get_by_role("link", name=texts["track"])
    expect(link).to_have_attribute("href", "https://www.dhl.com/track?id=JJD000390007")
    expect(current.locator(".order-history li span")).to_have_text(texts["history"])
    promised_label, promised_value = texts["promised"]
    expect(current.locator("dt", has_text=promised_label)).to_be_visible()
    expect(current.locator("dt", has_text=promised_label).locator("+ dd")).to_have_text(promised_value)
    expect(current.locator(".order-late")).to_be_visible()
    expect(panel.locator("details.order")).to_have_count(2)
    assert page.evaluate("window.__pwned") is None
    assert panel.locator("img").count() == 0
    current.scroll_into_view_if_needed()
    save_screenshot(page, f"orders-panel-{language}")
    # Read once: the transcript's arrival is no reason to redraw the cards (folding what was unfolded).
    page.wait_for_load_state("networkidle")
    assert len(order_reads) == 1, order_reads

    # The operator says the chat is about the older order: it is marked, stored for the chat.
    older = panel.locator("details.order", has_text="10012")
    older.locator("summary").click()
    older.get_by_role("button", name=texts["pick"]).click()
    picked = panel.locator("details.order-about-this")
    expect(picked).to_have_attribute("data-order-number", "10012")
    expect(picked.locator(".order-about")).to_have_text(texts["picked"])
    conversation = Conversation.objects.get(contact__customer_id="C-77")
    about = wait_for(lambda: ConversationOrder.objects.filter(conversation=conversation).first())
    assert (about.order.number, about.chosen_by) == ("10012", "operator")

    # The shop pushes the delivery while the chat is open: the panel follows without a reload.
    page.evaluate("window.__samePage = true")
    in_thread(
        do_upsert_batch,
        BatchIn.model_validate(
            {"orders": [{"number": "10234", "status": "delivered", "delivered_at": "2026-12-03T12:00:00+00:00"}]}
        ),
    )
    delivered = panel.locator("details.order", has_text=texts["order"])
    expect(delivered.locator(".order-stage")).to_have_text(texts["delivered"])
    expect(delivered.locator(".order-late")).to_have_count(0)  # delivered: no longer late
    assert page.evaluate("window.__samePage") is True
