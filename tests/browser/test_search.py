"""The search screen in real Chromium: a manager finds old messages by a word form in Russian and in
English, sees the words marked and a stranger's markup shown as text, and follows a hit to its place
in the transcript; an operator finds only their own."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from chat.actions import InboundMessage, do_close, do_receive_inbound, do_set_operator_status
from chat.models import Operator
from tests.browser.conftest import in_thread, save_screenshot
from tests.browser.test_security import RECORD_VIOLATIONS, sign_in, violations

pytestmark = [pytest.mark.browser]

SCREEN = {
    "en": {
        "nav": "Search",
        "box": "Search",
        "find": "Find",
        "messages": "Messages",
        "link": "Conversation #{id}",
        "none": "No message matches.",
    },
    "ru": {
        "nav": "Поиск",
        "box": "Поиск",
        "find": "Найти",
        "messages": "Сообщения",
        "link": "Разговор №{id}",
        "none": "Ни одно сообщение не подходит.",
    },
}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_manager_finds_marked_words_in_both_languages(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page], language: str
) -> None:
    words = SCREEN[language]
    boris = in_thread(make_operator, "Boris")
    in_thread(do_set_operator_status, operator_id=boris.pk, status="online")
    russian = in_thread(
        do_receive_inbound,
        InboundMessage(connector="widget", sender_id="v-ru", text="Где мои заказы? <script>alert(1)</script>"),
    )
    in_thread(do_close, conversation_id=russian.conversation.pk, by="shopper")
    english = in_thread(
        do_receive_inbound,
        InboundMessage(connector="telegram", sender_id="501", text="Please cancel the ordered jeans"),
    )
    in_thread(do_receive_inbound, InboundMessage(connector="widget", sender_id="v-x", text="Спасибо, всё пришло"))
    manager = in_thread(make_operator, "Maria", is_manager=True, language=language)

    page = new_page(locale="ru-RU" if language == "ru" else "en-US")
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, manager)
    page.get_by_role("link", name=words["nav"], exact=True).click()
    page.get_by_role("searchbox", name=words["box"]).fill("заказ")
    page.get_by_role("button", name=words["find"]).click()

    hits = page.get_by_role("region", name=words["messages"]).get_by_role("listitem")
    expect(hits).to_have_count(1)
    expect(hits.locator("mark")).to_have_text(["заказы"])
    expect(hits).to_contain_text("<script>alert(1)</script>")  # shown as text, never run
    link = hits.get_by_role("link", name=words["link"].format(id=russian.conversation.pk))
    expect(link).to_have_attribute(
        "href", f"/workspace/history/{russian.conversation.pk}/#message-{russian.message.pk}"
    )

    page.get_by_role("searchbox", name=words["box"]).fill("order jean*")
    page.get_by_role("button", name=words["find"]).click()
    expect(hits).to_have_count(1)
    expect(hits.locator("mark")).to_have_text(["ordered", "jeans"])
    expect(hits.get_by_role("link", name=words["link"].format(id=english.conversation.pk))).to_be_visible()

    page.get_by_role("searchbox", name=words["box"]).fill("заказ order")
    page.get_by_role("button", name=words["find"]).click()
    expect(hits).to_have_text([words["none"]])  # every word must match: no message has both
    page.get_by_role("searchbox", name=words["box"]).fill("заказ*")
    page.get_by_role("button", name=words["find"]).click()
    expect(hits.locator("mark")).to_have_text(["заказы"])
    save_screenshot(page, f"search-{language}")
    assert violations(page) == []


def test_an_operator_finds_only_their_own_chats(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    boris = in_thread(make_operator, "Boris")
    in_thread(do_set_operator_status, operator_id=boris.pk, status="online")
    in_thread(do_receive_inbound, InboundMessage(connector="widget", sender_id="v-b", text="Секретный заказ"))
    anna = in_thread(make_operator, "Anna")
    in_thread(do_set_operator_status, operator_id=anna.pk, status="online")
    in_thread(do_receive_inbound, InboundMessage(connector="widget", sender_id="v-a", text="Мой заказ"))

    page = new_page()
    sign_in(page, anna)
    page.goto("/workspace/search/?q=заказ")
    hits = page.get_by_role("region", name="Messages").get_by_role("listitem")
    expect(hits).to_have_count(1)
    expect(hits).to_contain_text("Мой заказ")
