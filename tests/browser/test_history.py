"""The conversation history in Chromium, in English and Russian: the list with a filter, a transcript."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from chat.actions import InboundMessage, do_close, do_operator_reply, do_receive_inbound, do_set_operator_status
from chat.actions.ratings import do_rate_conversation
from chat.models import Conversation, Message, Operator, Reason
from tests.browser.conftest import in_thread, save_screenshot

pytestmark = [pytest.mark.browser]

WORDS = {
    "en": {
        "login": "Login",
        "password": "Password",
        "sign_in": "Sign in",
        "history": "History",
        "title": "Conversation history",
        "low": "Low rating (1-2 stars)",
        "show": "Show",
        "assigned": "Assigned to Anna.",
        "rated": "Rated 2 of 5.",
        "export": "Export",
    },
    "ru": {
        "login": "Логин",
        "password": "Пароль",
        "sign_in": "Войти",
        "history": "История",
        "title": "История разговоров",
        "low": "Низкая оценка (1–2 звезды)",
        "show": "Показать",
        "assigned": "Назначен оператору Anna.",
        "rated": "Оценка: 2 из 5.",
        "export": "Выгрузка",
    },
}


def finished_chat(operator: Operator, reason: Reason, sender: str, text: str, stars: int) -> Conversation:
    chat = in_thread(
        do_receive_inbound, InboundMessage(connector="widget", sender_id=sender, text=text, sender_name=sender)
    )
    in_thread(do_operator_reply, conversation_id=chat.conversation.pk, operator_id=operator.pk, text="Checking now.")
    in_thread(do_close, conversation_id=chat.conversation.pk, operator_id=operator.pk, reason_id=reason.pk)
    in_thread(
        do_rate_conversation, conversation_id=chat.conversation.pk, connector="widget", sender_id=sender, stars=stars
    )
    return chat.conversation


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_operator_finds_a_low_rated_chat_and_reads_its_transcript(
    transactional_db: None,
    make_operator: Callable[..., Operator],
    reason: Reason,
    new_page: Callable[..., Page],
    language: str,
) -> None:
    words = WORDS[language]
    anna = in_thread(make_operator, "Anna", language=language)
    in_thread(do_set_operator_status, operator_id=anna.pk, status="online")
    finished_chat(anna, reason, "Olga", "Thanks, all good", 5)
    low = finished_chat(anna, reason, "Pyotr", "Where is my <b>order</b> 1042?", 2)
    page = new_page(locale="ru-RU" if language == "ru" else "en-US")
    page.goto("/workspace/")
    page.get_by_label(words["login"]).fill(anna.user.username)
    page.get_by_label(words["password"]).fill("pw-123456")
    page.get_by_role("button", name=words["sign_in"]).click()
    # Operators get History in the header; Export is for managers only.
    expect(page.locator(".topbar").get_by_role("link", name=words["export"], exact=True)).to_have_count(0)
    page.locator(".topbar").get_by_role("link", name=words["history"], exact=True).click()

    expect(page.get_by_role("heading", name=words["title"])).to_be_visible()
    rows = page.locator("table.history-table tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_label(words["low"]).check()
    page.get_by_role("button", name=words["show"]).click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Pyotr")
    expect(rows.first).to_contain_text("2 ★")
    save_screenshot(page, f"history-list-{language}")

    rows.first.get_by_role("link", name=f"#{low.pk}").click()
    transcript = page.get_by_role("list", name="Transcript" if language == "en" else "Переписка")
    expect(transcript).to_contain_text(words["assigned"])
    expect(transcript).to_contain_text(words["rated"])
    expect(transcript).to_contain_text("Where is my <b>order</b> 1042?")  # shown as the text it is
    assert page.locator("b", has_text="order").count() == 0
    first = Message.objects.filter(conversation=low).order_by("id").first()
    assert first is not None
    page.goto(f"/workspace/history/{low.pk}/#message-{first.pk}")
    expect(page.locator(f"#message-{first.pk}")).to_contain_text("1042")
    assert page.evaluate("document.querySelector(':target')?.id") == f"message-{first.pk}"
    save_screenshot(page, f"history-transcript-{language}")


def test_a_manager_reopens_a_chat_from_its_transcript(
    transactional_db: None, make_operator: Callable[..., Operator], reason: Reason, new_page: Callable[..., Page]
) -> None:
    anna = in_thread(make_operator, "Anna")
    in_thread(do_set_operator_status, operator_id=anna.pk, status="online")
    chat = finished_chat(anna, reason, "Olga", "Is it in stock?", 4)
    in_thread(do_set_operator_status, operator_id=anna.pk, status="offline")
    maria = in_thread(make_operator, "Maria", is_manager=True)
    in_thread(do_set_operator_status, operator_id=maria.pk, status="online")
    page = new_page()
    page.goto(f"/workspace/history/{chat.pk}/")
    page.get_by_label("Login").fill(maria.user.username)
    page.get_by_label("Password").fill("pw-123456")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Reopen the chat").click()
    expect(page.get_by_role("status")).to_contain_text("The chat is open again and yours")
    expect(page.get_by_role("list", name="Transcript")).to_contain_text("Reopened by Maria.")
    assert Conversation.objects.get(pk=chat.pk).operator_id == maria.pk
