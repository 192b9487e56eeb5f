"""The widget's pre-shot panel in real Chromium on a phone, in English and Russian: a signed-in
shopper opens the widget and sees their order's stage and three questions, one tap shows an answer
and its action, "Still need help" opens a chat the operator sees with the question and the order;
the notices box is recorded."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, Route, expect

from chat.actions import do_close, do_set_operator_status
from chat.models import Message, Operator
from connectors.widget.signing import sign_customer
from kb.demo import load_kb_demo
from orders.actions import do_upsert_batch
from orders.demo import load_demo_orders
from orders.models import ConversationOrder
from orders.schemas import BatchIn
from preshot.actions import RuleInput, do_load_default_rules, do_save_rule
from preshot.models import EventKind, NoticeConsent, SuggestionEvent
from tests.browser.conftest import in_thread, save_screenshot, wait_for
from tests.browser.test_kb import PHONE_390, UI, sign_in

pytestmark = [pytest.mark.browser]

SHOP_SECRET = "shared-with-the-browser-shop"
XSS = '<img src=x onerror="window.__pwned=1">'
TEXT: dict[str, dict[str, Any]] = {
    "en": {
        "region": "Your order",
        "stage": "Order 1042 · Shipped 5 days ago",
        "questions": [
            "My parcel hasn't arrived yet",
            "Can I return it once it arrives?",
            "How long does delivery take?",
        ],
        "title": "Track your order",
        "read": "Read the whole answer",
        "track": "Track the parcel",
        "help": "Still need help",
        "consent": "Tell me here if this order is late",
        "consented": "We will tell you here if an order is late.",
        "message": "Still need help with order 1042: My parcel hasn't arrived yet",
        "picked": "The customer picked this order",
        "search": "Ask a question, e.g. where is my order",
    },
    "ru": {
        "region": "Ваш заказ",
        "stage": "Заказ 1042 · Отправлен 5 дней назад",
        "questions": ["Посылка ещё не пришла", "Можно ли вернуть, когда придёт?", "Сколько идёт доставка?"],
        "title": "Как отследить заказ",
        "read": "Читать ответ целиком",
        "track": "Отследить посылку",
        "help": "Нужна помощь",
        "consent": "Сообщить здесь, если заказ задержится",
        "consented": "Мы сообщим здесь, если заказ задержится.",
        "message": "Всё ещё нужна помощь по заказу 1042: Посылка ещё не пришла",
        "picked": "Покупатель выбрал этот заказ",
        "search": "Задайте вопрос, например: где мой заказ",
    },
}


@pytest.fixture(scope="module", autouse=True)
def shop_secret() -> Iterator[None]:
    """Signed customers on for this module's server (it reads the secret when it starts)."""
    before = settings.WIDGET_CUSTOMER_SECRET
    settings.WIDGET_CUSTOMER_SECRET = SHOP_SECRET
    yield
    settings.WIDGET_CUSTOMER_SECRET = before


TEXT_DEMO = {"en": "Demo customer", "ru": "Демо-покупатель"}


def shop_data() -> None:
    """The demo articles, the shipped rules plus a manager's own, and Olga's order shipped 5 days ago."""
    load_kb_demo()
    do_load_default_rules()
    do_save_rule(
        RuleInput(
            statuses=["shipped"], counts_from="order", min_days=0, max_days=7, article_key="return-item",
            question_en="Can I return it once it arrives?", question_ru="Можно ли вернуть, когда придёт?",
            priority=65,
        )
    )  # fmt: skip
    shipped = (timezone.now() - timedelta(days=5, hours=2)).isoformat()
    do_upsert_batch(
        BatchIn.model_validate(
            {
                "customers": [{"id": "C-77", "name": "Olga", "email": "olga@example.com"}],
                "orders": [
                    {
                        "number": "1042", "status": "shipped", "customer_id": "C-77", "currency": "EUR",
                        "total": "89.90", "placed_at": shipped, "shipped_at": shipped, "carrier": "DHL",
                        "tracking_number": "JJD000390007", "tracking_url": "https://www.dhl.com/track?id=JJD000390007",
                        "items": [{"name": "Wool coat " + XSS, "quantity": 1, "price": "89.90"}],
                    }
                ],
            }
        )
    )  # fmt: skip


def signed_tag_script(language: str) -> str:
    """What the shop's page does for a signed-in customer: its widget tag carries data-customer-* (and
    the page's language). Set on the demo shop's tag as the parser adds it, before the widget runs: a
    page Playwright made up itself would not be on the server's address, and Chromium would refuse
    its WebSocket to 127.0.0.1."""
    signature = sign_customer("C-77", "Olga", "olga@example.com", SHOP_SECRET)
    attrs = {
        "data-lang": language,
        "data-customer-id": "C-77",
        "data-customer-name": "Olga",
        "data-customer-email": "olga@example.com",
        "data-customer-signature": signature,
    }
    return (
        "new MutationObserver(function (records, observer) {"
        "  var tag = document.querySelector('script[src*=\"widget/widget.js\"]');"
        "  if (!tag) return;"
        f"  var attrs = {json.dumps(attrs)};"
        "  for (var name in attrs) tag.setAttribute(name, attrs[name]);"
        "  observer.disconnect();"
        "}).observe(document, { childList: true, subtree: true });"
    )


def open_shop(page: Page, language: str, signed: bool = True) -> None:
    if signed:
        page.add_init_script(signed_tag_script(language))
    page.goto("/")
    page.get_by_role("button", name=UI[language]["open"]).click()


def kinds() -> list[str]:
    return list(SuggestionEvent.objects.filter(channel="widget").order_by("id").values_list("kind", flat=True))


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_shopper_sees_the_orders_stage_opens_an_answer_and_still_needs_help(
    transactional_db: None,
    make_operator: Callable[..., Operator],
    new_page: Callable[..., Page],
    language: str,
) -> None:
    text = TEXT[language]
    operator = in_thread(make_operator, "Anna", language=language)
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    in_thread(shop_data)
    desk = new_page(locale=UI[language]["locale"], viewport={"width": 1400, "height": 900})
    sign_in(desk, operator, language, "/workspace/")
    expect(desk.get_by_role("status").filter(has_text=UI[language]["live"])).to_be_visible()

    page = new_page(locale=UI[language]["locale"], **PHONE_390)
    open_shop(page, language)
    panel = page.get_by_role("region", name=text["region"])
    expect(panel.locator(".sbw-stage")).to_have_text(text["stage"])
    questions = panel.locator("button.sbw-question")
    expect(questions).to_have_text(text["questions"])
    expect(page.get_by_role("searchbox", name=text["search"])).to_be_visible()  # the help search stays below
    wait_for(lambda: kinds() == [EventKind.SHOWN] * 3)

    # One tap: the answer, its link and the carrier's tracking link.
    questions.first.click()
    answer = panel.locator(".sbw-qanswer").first
    expect(answer.locator("strong")).to_have_text(text["title"])
    expect(answer.get_by_role("link", name=text["read"])).to_have_attribute(
        "href", f"{page.url.rstrip('/')}/help/{language}/track-order/"
    )
    expect(answer.get_by_role("link", name=text["track"])).to_have_attribute(
        "href", "https://www.dhl.com/track?id=JJD000390007"
    )
    wait_for(lambda: kinds()[-1] == EventKind.OPENED)

    # Notices: the box is recorded and shown as given; unticked it is withdrawn, ticked again given.
    consent = panel.get_by_label(text["consent"])
    consented = lambda: NoticeConsent.objects.filter(connector="widget", contact__customer_id="C-77").exists()  # noqa: E731
    consent.check()
    expect(panel.get_by_role("status")).to_have_text(text["consented"])
    wait_for(consented)
    expect(consent).to_be_enabled()
    consent.uncheck()
    expect(panel.get_by_role("status")).to_have_text("")
    wait_for(lambda: not consented())
    expect(consent).to_be_enabled()
    consent.check()
    expect(panel.get_by_role("status")).to_have_text(text["consented"])
    wait_for(consented)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate("window.__pwned") is None
    save_screenshot(page, f"preshot-widget-{language}")

    # Still need help: a chat about the order opens with the question as its first message.
    answer.get_by_role("button", name=text["help"]).click()
    expect(panel).to_be_hidden()
    expect(page.locator(".sbw-log .sbw-shopper .sbw-text")).to_have_text([text["message"]])
    message = wait_for(lambda: Message.objects.filter(text=text["message"]).first())
    about = wait_for(lambda: ConversationOrder.objects.filter(conversation_id=message.conversation_id).first())
    assert (about.order.number, about.chosen_by) == ("1042", "shopper")
    assert kinds()[-1] == EventKind.STILL_NEED_HELP

    # The operator starts with the question and the order, marked as the customer's pick.
    expect(desk.locator(".message", has_text=text["message"]).first).to_be_visible()
    orders = desk.locator("details.order-about-this")
    expect(orders).to_have_attribute("data-order-number", "1042")
    expect(orders.locator(".order-about")).to_have_text(text["picked"])
    assert desk.evaluate("window.__pwned") is None
    orders.scroll_into_view_if_needed()
    save_screenshot(desk, f"preshot-widget-operator-{language}")


def test_a_shopper_without_a_signed_order_sees_the_widget_as_before(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    operator = in_thread(make_operator, "Anna")
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    in_thread(shop_data)
    requests: list[Any] = []
    page = new_page(locale="en-US", **PHONE_390)
    page.on("request", lambda request: requests.append(request.url))
    open_shop(page, "en", signed=False)
    expect(page.get_by_role("searchbox", name=TEXT["en"]["search"])).to_be_visible()
    expect(page.locator(".sbw-preshot")).to_be_hidden()
    assert not [url for url in requests if "/preshot/" in url]
    assert not SuggestionEvent.objects.exists()


def test_words_typed_in_the_help_search_stay_there_when_the_chat_comes_up(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    """The chat came up (the online check answered) while the shopper typed a question: it took the
    focus, and the rest of their words went into the chat box."""
    operator = in_thread(make_operator, "Anna")
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    in_thread(load_kb_demo)
    held: list[Route] = []
    page = new_page(locale="en-US", **PHONE_390)
    page.route("**/connectors/widget/status/**", lambda route: held.append(route))  # the online check answers late
    page.goto("/")
    page.get_by_role("button", name=UI["en"]["open"]).click()
    search = page.get_by_role("searchbox", name=TEXT["en"]["search"])
    search.click()
    search.press_sequentially("where is")
    wait_for(lambda: held, timeout=5)
    for route in held:
        route.continue_()
    expect(page.locator(".sbw-greeting")).to_be_visible()  # the check's answer came: the chat is up
    message = page.get_by_role("textbox", name=UI["en"]["message"])
    page.keyboard.type(" my parcel")  # the shopper types on, wherever the focus is
    expect(search).to_have_value("where is my parcel")
    expect(message).to_have_value("")


def test_a_shopper_back_after_a_closed_chat_sees_the_orders_stage_again(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    """The panel stands aside while a chat is in progress, not for good: a shopper whose chat has
    closed and who opens the widget again is offered the answers first, as on their first visit."""
    text = TEXT["en"]
    operator = in_thread(make_operator, "Anna")
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    in_thread(shop_data)
    page = new_page(locale="en-US", **PHONE_390)
    open_shop(page, "en")
    stage = page.get_by_role("region", name=text["region"]).locator(".sbw-stage")
    expect(stage).to_have_text(text["stage"])
    box = page.get_by_role("textbox", name=UI["en"]["message"])
    box.fill("Hello")
    box.press("Enter")
    expect(page.locator(".sbw-pending")).to_have_count(0)
    expect(stage).to_be_hidden()  # the chat is in progress
    conversation = wait_for(lambda: Message.objects.filter(text="Hello").first()).conversation
    in_thread(do_close, conversation_id=conversation.pk, by="system")
    page.reload()  # back later: the widget opens as it was left
    expect(page.get_by_role("button", name="Minimize chat")).to_be_visible()
    expect(stage).to_have_text(text["stage"])
    expect(page.get_by_role("searchbox", name=text["search"])).to_be_visible()


@pytest.mark.parametrize(
    ("language", "signed_in"),
    [
        ("en", "Signed in as James, a demo customer with orders."),
        ("ru", "Вы вошли как James, демо-покупатель с заказами."),
    ],
)
def test_the_demo_shop_lets_a_visitor_shop_as_a_demo_customer_and_see_the_orders_stage(
    transactional_db: None,
    make_operator: Callable[..., Operator],
    new_page: Callable[..., Page],
    language: str,
    signed_in: str,
) -> None:
    """What ``make run`` shows a shop trying Switchboard: the demo page signs the visitor in as a demo
    customer (as the shop's own page would after its login) and the widget opens on his order (Olga,
    the other, already has a chat waiting, which the widget continues instead)."""
    operator = in_thread(make_operator, "Anna")
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    in_thread(load_kb_demo)
    in_thread(do_load_default_rules)
    in_thread(load_demo_orders)
    page = new_page(locale=UI[language]["locale"], **PHONE_390)
    page.goto("/")
    page.get_by_role("link", name="James").click()
    expect(page.get_by_role("navigation", name=TEXT_DEMO[language])).to_have_text(re.compile(re.escape(signed_in)))
    page.get_by_role("button", name=UI[language]["open"]).click()
    expect(page.get_by_role("region", name=TEXT[language]["region"]).locator(".sbw-stage")).to_contain_text("10240")
    save_screenshot(page, f"demo-shop-customer-{language}")
