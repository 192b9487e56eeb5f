"""The knowledge base in real Chromium: the manager's editor, the shopper's help search in the widget
on a phone, and the operator's answer search beside the chat, each in English and Russian."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from chat.actions import InboundMessage, do_receive_inbound, do_set_operator_status
from chat.models import Message, Operator
from kb.demo import load_kb_demo
from kb.models import ArticleTranslation
from tests.browser.conftest import in_thread, save_screenshot, wait_for

pytestmark = [pytest.mark.browser]

PHONE_390 = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
UI = {
    "en": {
        "locale": "en-US",
        "login": "Login",
        "password": "Password",
        "sign_in": "Sign in",
        "live": "Live",
        "open": "Open chat",
        "message": "Your message",
        "find": "Ask a question, e.g. where is my order",
        "preview": "Preview",
        "save": "Save",
        "saved": "saved",
        "text": "Text (Markdown)",
        "search": "Search the answers",
        "insert": "Insert into reply",
        "reply": "Reply to the customer",
    },
    "ru": {
        "locale": "ru-RU",
        "login": "Логин",
        "password": "Пароль",
        "sign_in": "Войти",
        "live": "На связи",
        "open": "Открыть чат",
        "message": "Ваше сообщение",
        "find": "Задайте вопрос, например: где мой заказ",
        "preview": "Предпросмотр",
        "save": "Сохранить",
        "saved": "сохранена",
        "text": "Текст (Markdown)",
        "search": "Поиск по ответам",
        "insert": "Вставить в ответ",
        "reply": "Ответ покупателю",
    },
}
QUESTIONS = {"en": ("how long is delivry", "Delivery times"), "ru": ("сколько идёт доствка", "Сроки доставки")}


@pytest.fixture
def corpus(transactional_db: None) -> None:
    in_thread(load_kb_demo)


def sign_in(page: Page, operator: Operator, language: str, path: str) -> None:
    ui = UI[language]
    page.goto(path)
    page.get_by_label(ui["login"]).fill(operator.user.username)
    page.get_by_label(ui["password"]).fill("pw-123456")
    page.get_by_role("button", name=ui["sign_in"]).click()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_manager_edits_an_article_with_a_preview(
    corpus: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page], language: str
) -> None:
    ui = UI[language]
    manager = in_thread(make_operator, "Maria", is_manager=True, language=language)
    page = new_page(locale=ui["locale"], viewport={"width": 1280, "height": 1000})
    sign_in(page, manager, language, "/workspace/kb/")
    title = QUESTIONS[language][1]
    page.get_by_role("link", name="delivery-times").click()
    body = page.locator(f"#{language}-body")
    body.fill("Orders arrive in **3 days**. <script>window.__pwned=1</script>\n\n[track](javascript:alert(1))")
    page.get_by_role("button", name=ui["preview"]).click()
    preview = page.locator(f"fieldset[data-language={language}] .kb-preview")
    expect(preview.locator("strong")).to_have_text("3 days")
    expect(preview).to_contain_text("<script>window.__pwned=1</script>")
    assert preview.locator("a").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert "3 days" not in ArticleTranslation.objects.get(language=language, slug="delivery-times").body
    save_screenshot(page, f"kb-editor-{language}", full_page=True)
    page.get_by_role("button", name=ui["save"], exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(ui["saved"])
    wait_for(lambda: "3 days" in ArticleTranslation.objects.get(language=language, slug="delivery-times").body)
    expect(page.locator(f"#{language}-title")).to_have_value(title)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_shopper_finds_an_answer_in_the_widget_on_a_phone(
    corpus: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page], language: str
) -> None:
    ui = UI[language]
    operator = in_thread(make_operator, "Anna")
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    question, title = QUESTIONS[language]
    page = new_page(locale=ui["locale"], **PHONE_390)
    page.goto("/")
    page.get_by_role("button", name=ui["open"]).click()
    box = page.get_by_role("searchbox", name=ui["find"])
    expect(box).to_be_visible()
    box.fill(question)
    answers = page.locator(".sbw-answer")
    expect(answers.first).to_be_visible()
    assert 1 <= answers.count() <= 3
    link = page.get_by_role("link", name=title)
    expect(link).to_be_visible()
    assert link.bounding_box()["width"] <= 390  # type: ignore[index]
    save_screenshot(page, f"widget-help-{language}")
    with page.context.expect_page() as opened:
        link.click()
    article = opened.value
    expect(article.get_by_role("heading", level=1)).to_have_text(title)
    assert article.evaluate("document.documentElement.lang") == language
    assert article.evaluate("document.documentElement.scrollWidth") <= 390
    # Still need help: the shopper writes, and the help search gives the panel to the chat.
    page.bring_to_front()
    message = page.get_by_role("textbox", name=ui["message"])
    message.fill(question)
    message.press("Enter")
    expect(box).to_be_hidden()
    wait_for(lambda: Message.objects.filter(text=question).exists())


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_operator_inserts_an_answer_into_the_reply(
    corpus: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page], language: str
) -> None:
    ui = UI[language]
    operator = in_thread(make_operator, "Anna", language=language)
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    page = new_page(locale=ui["locale"], viewport={"width": 1400, "height": 900})
    sign_in(page, operator, language, "/workspace/")
    expect(page.get_by_role("status").filter(has_text=ui["live"])).to_be_visible()
    in_thread(
        do_receive_inbound,
        InboundMessage(
            connector="widget", sender_id=f"v-kb-{language}", text="?", sender_name="Olga", language=language
        ),
    )
    search = page.get_by_role("searchbox", name=ui["search"])
    expect(search).to_be_visible()
    search.fill(QUESTIONS[language][0])
    title = QUESTIONS[language][1]
    page.get_by_role("button", name=f"{ui['insert']}: {title}").click()
    reply = page.get_by_role("textbox", name=ui["reply"])
    expected = ArticleTranslation.objects.get(language=language, slug="delivery-times").summary
    expect(reply).to_have_value(f"{expected}\n{page.url.split('/workspace')[0]}/help/{language}/delivery-times/")
    save_screenshot(page, f"kb-panel-{language}")
