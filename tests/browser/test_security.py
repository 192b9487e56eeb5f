"""Security that people see in real Chromium: the Content-Security-Policy blocks nothing of ours, and a
manager finds a customer, downloads their data and erases it, in English and in Russian."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from chat.actions import InboundMessage, do_close, do_receive_inbound, do_set_contact_details, do_set_operator_status
from chat.models import Contact, Conversation, Message, Operator
from tests.browser.conftest import in_thread, save_screenshot, wait_for
from tests.browser.test_workspace import operator_logs_in

pytestmark = [pytest.mark.browser]

# Runs before any page script, outside the page's policy: every refusal the browser reports is kept.
SECRET_TEXT = "Мой паспорт 4510 123456, адрес Ленина, 5"
EMAIL = "irina@example.com"
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def violations(page: Page) -> list[str]:
    return page.evaluate("window.__csp")


def test_every_page_works_under_the_policy_with_no_violation(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    manager = in_thread(make_operator, "Maria", is_manager=True)
    page = new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    seen: list[str] = []

    # The language switch has no inline handler any more: picking Русский still reloads in Russian.
    page.goto("/workspace/login/")
    page.get_by_label("Language").select_option("ru")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    seen += violations(page)
    page.get_by_label("Язык").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    operator_logs_in(page, manager)
    seen += violations(page)
    for path, visible in [
        ("/workspace/dashboards/live/", "Live"),
        ("/workspace/dashboards/history/", "History"),
        ("/workspace/dashboards/targets/", "Targets"),
    ]:
        page.goto(path)
        expect(page.get_by_role("link", name=visible).first).to_be_visible()
        page.wait_for_load_state("networkidle")
        seen += violations(page)

    page.goto("/api/docs")
    expect(page.get_by_role("heading", name="Switchboard workspace API")).to_be_visible()
    seen += violations(page)

    # The widget on the demo shop: its <style> passes on the nonce of its <script> tag.
    page.goto("/")
    button = page.get_by_role("button", name="Open chat")
    expect(button).to_be_visible()
    assert button.evaluate("b => getComputedStyle(b).position") == "fixed"
    button.click()
    expect(page.get_by_role("heading", name="Chat with us")).to_be_visible()
    page.wait_for_load_state("networkidle")
    seen += violations(page)
    assert seen == []


def test_an_injected_inline_script_is_refused(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    """What the policy is for: markup that reaches a page some other way still cannot run."""
    operator = in_thread(make_operator, "Anna")
    page = new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    operator_logs_in(page, operator)
    page.evaluate(
        """() => {
          const s = document.createElement("script"); s.textContent = "window.__ran = 1"; document.body.append(s);
          const d = document.createElement("div"); d.innerHTML = '<img src="x" onerror="window.__ran = 2">';
          document.body.append(d);
        }"""
    )
    page.wait_for_function("window.__csp.length >= 2")
    assert page.evaluate("window.__ran") is None
    assert all(v.startswith("script-src") for v in violations(page))


CUSTOMER_PAGE = {
    "en": {
        "nav": "Customer data",
        "search": "Email, phone, name, shop customer id or Telegram/VK id",
        "find": "Find",
        "download": "Download data (JSON)",
        "confirm": "Erase messages, files, ratings' comments, questionnaire answers and identities.",
        "erase": "Erase customer data",
        "erased": "Customer #{id}: their data was erased.",
        "erasure": "Erasure",
        "export": "Export",
    },
    "ru": {
        "nav": "Данные клиентов",
        "search": "Почта, телефон, имя, номер клиента в магазине или id в Telegram/VK",
        "find": "Найти",
        "download": "Скачать данные (JSON)",
        "confirm": "Стереть сообщения, файлы, комментарии к оценкам, ответы анкеты и идентификаторы.",
        "erase": "Стереть данные клиента",
        "erased": "Клиент №{id}: его данные стёрты.",
        "erasure": "Стирание",
        "export": "Выгрузка",
    },
}


def sign_in(page: Page, operator: Operator) -> None:
    page.goto("/workspace/login/")
    page.locator("#id_username").fill(operator.user.username)
    page.locator("#id_password").fill("pw-123456")
    page.locator("form[method=post] button[type=submit]").first.click()
    page.wait_for_url("**/workspace/")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_manager_downloads_then_erases_a_customers_data(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page], language: str
) -> None:
    words = CUSTOMER_PAGE[language]
    manager = in_thread(make_operator, "Maria", is_manager=True, language=language)
    in_thread(do_receive_inbound, InboundMessage(connector="widget", sender_id="v-gdpr", text=SECRET_TEXT))
    contact = in_thread(do_set_contact_details, connector="widget", sender_id="v-gdpr", name="Ирина", email=EMAIL)
    conversation = Conversation.objects.get(contact=contact)
    in_thread(do_close, conversation_id=conversation.pk, by="shopper")

    page = new_page(locale="ru-RU" if language == "ru" else "en-US")
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, manager)
    page.goto("/workspace/dashboards/live/")
    page.get_by_role("link", name=words["nav"]).click()
    page.get_by_label(words["search"]).fill(EMAIL)
    page.get_by_role("button", name=words["find"]).click()
    row = page.locator(f"tr[data-contact-id='{contact.pk}']")
    expect(row).to_contain_text("Ирина")

    with page.expect_download() as download:
        row.get_by_role("link", name=words["download"]).click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["contact"]["email"] == EMAIL
    messages = exported["conversations"][0]["messages"]
    assert [m["text"] for m in messages if m["author_kind"] == "shopper"] == [SECRET_TEXT]

    # Without the confirmation ticked the browser does not send the form; with it, the data goes.
    row.get_by_role("button", name=words["erase"]).click()
    assert Message.objects.get(conversation=conversation, author_kind="shopper").text == SECRET_TEXT
    row.get_by_label(words["confirm"]).check()
    row.get_by_role("button", name=words["erase"]).click()
    expect(page.get_by_role("status")).to_have_text(words["erased"].format(id=contact.pk))
    wait_for(lambda: set(Message.objects.filter(conversation=conversation).values_list("text", flat=True)) == {""})
    assert Contact.objects.get(pk=contact.pk).email == ""
    records = page.locator("table.records")
    expect(records).to_contain_text(words["erasure"])
    expect(records).to_contain_text(words["export"])
    expect(records).to_contain_text(manager.user.username)
    save_screenshot(page, f"customer-data-erased-{language}")
    assert violations(page) == []


def test_the_customer_panel_leads_a_manager_to_that_customers_data(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    manager = in_thread(make_operator, "Maria", is_manager=True, skills=["general"])
    in_thread(do_set_operator_status, operator_id=manager.pk, status="online")
    page = new_page()
    operator_logs_in(page, manager)
    received = in_thread(
        do_receive_inbound, InboundMessage(connector="widget", sender_id="v-panel", text="Удалите мои данные")
    )
    page.get_by_role("tab").first.click()
    page.get_by_role("link", name="Download or erase this customer's data").click()
    expect(page.locator(f"tr[data-contact-id='{received.conversation.contact_id}']")).to_be_visible()


def test_an_operator_who_is_no_manager_gets_no_such_link(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    operator = in_thread(make_operator, "Anna", skills=["general"])
    in_thread(do_set_operator_status, operator_id=operator.pk, status="online")
    page = new_page()
    operator_logs_in(page, operator)
    in_thread(do_receive_inbound, InboundMessage(connector="widget", sender_id="v-panel2", text="Здравствуйте"))
    page.get_by_role("tab").first.click()
    expect(page.get_by_role("heading", name="Customer", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Download or erase this customer's data")).to_have_count(0)
