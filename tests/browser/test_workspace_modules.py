"""The workspace as native ES modules: it starts clean in both languages, a module that cannot load
is told to the operator (never a page that silently does nothing), and a customer-panel section
registered through panels.js mounts beside each chat, follows its live events and writes into the reply."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from chat.models import Message, Operator
from tests.browser.conftest import save_screenshot, wait_for
from tests.browser.test_workspace import online, shopper_writes

pytestmark = [pytest.mark.browser]

TEXTS = {
    "en": {
        "live": "Live",
        "tab": "Chat with Olga",
        "not_rated": "Not rated yet",
        "broken": "The workspace did not load completely",
        "section_failed": "This part of the panel could not be shown.",
        "reply": "Reply to the customer",
    },
    "ru": {
        "live": "На связи",
        "tab": "Чат с покупателем: Olga",
        "not_rated": "Оценки пока нет",
        "broken": "Рабочее место загрузилось не полностью",
        "section_failed": "Эту часть панели не удалось показать.",
        "reply": "Ответ покупателю",
    },
}


def collect_errors(page: Page) -> list[str]:
    """Console errors and uncaught exceptions of the page, as they happen."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    return errors


def sign_in(page: Page, operator: Operator) -> None:
    """Sign in without waiting for the page to go live (a broken page never does)."""
    page.goto("/workspace/")
    page.get_by_label("Login").fill(operator.user.username)
    page.get_by_label("Password").fill("pw-123456")
    page.get_by_label("Password").press("Enter")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_workspace_starts_with_no_console_error(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page], language: str
) -> None:
    texts = TEXTS[language]
    operator = online(make_operator, "Anna", language=language)
    conversation = shopper_writes("v-olga", "Where is my parcel?", name="Olga")
    wait_for(lambda: Message.objects.filter(conversation=conversation).exists())
    page = new_page()  # the sign-in page in English; the workspace then speaks the operator's language
    errors = collect_errors(page)
    sign_in(page, operator)
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    expect(page.get_by_role("status").filter(has_text=texts["live"])).to_be_visible()
    expect(page.get_by_role("tab", name=texts["tab"])).to_be_visible()
    panel = page.locator(f'.customer-extra[data-conversation-id="{conversation.pk}"]')
    expect(panel.locator('[data-section="feedback"]')).to_contain_text(texts["not_rated"])
    expect(page.locator(".chat:not([hidden]) .customer .identities")).to_be_visible()
    # No stale "more to come" placeholder in the panel, in either language.
    expect(panel).not_to_contain_text("appear here")
    expect(panel).not_to_contain_text("Здесь появятся")
    expect(page.locator("#load-error")).to_be_hidden()
    save_screenshot(page, f"workspace-modules-{language}")
    assert errors == []


@pytest.mark.parametrize(
    ("language", "failure"), [("en", "missing"), ("ru", "missing"), ("en", "throws"), ("ru", "throws")]
)
def test_a_module_that_fails_is_told_to_the_operator_and_the_console(
    transactional_db: None,
    make_operator: Callable[..., Operator],
    new_page: Callable[..., Page],
    language: str,
    failure: str,
) -> None:
    operator = online(make_operator, "Anna", language=language)
    page = new_page()  # the sign-in page in English; the workspace then speaks the operator's language
    errors = collect_errors(page)
    if failure == "missing":  # a deploy that lost a file: the whole module graph fails to load
        page.route("**/static/workspace/tabs.js", lambda route: route.fulfill(status=404, body="not found"))
    else:  # a module that throws while it starts (its exports are there: the graph links, then breaks)
        broken = 'export function renderStatus() {}\nthrow new Error("status broke");'
        page.route(
            "**/static/workspace/status.js",
            lambda route: route.fulfill(status=200, content_type="text/javascript", body=broken),
        )
    sign_in(page, operator)
    banner = page.locator("#load-error")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(TEXTS[language]["broken"])
    expect(page.get_by_role("alert").filter(has_text=TEXTS[language]["broken"])).to_be_visible()
    wait_for(lambda: any("workspace failed to start" in error for error in errors))
    if failure == "throws":
        assert any("status broke" in error for error in errors), errors
    assert page.locator("body[data-ready=true]").count() == 0
    save_screenshot(page, f"workspace-load-error-{language}-{failure}")


SECTION = """
async () => {
  const { registerCustomerSection } = await import("/static/workspace/panels.js");
  registerCustomerSection({
    id: "test-orders",
    mount(root, context) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Insert order " + context.conversationId;
      button.addEventListener("click", () => context.insertIntoReply("Order #1042 ships today."));
      const seen = document.createElement("output");
      seen.className = "seen";
      root.append(button, seen);
      root.dataset.contact = String(context.contactId);
      root.dataset.language = context.language;
    },
    update(context) {
      if (context.event) context.root.querySelector(".seen").textContent = context.event.kind;
    },
  });
  registerCustomerSection({ id: "test-broken", mount() { throw new Error("section broke"); } });
}
"""


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_registered_section_mounts_beside_the_chat_follows_it_and_writes_into_the_reply(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page], language: str
) -> None:
    texts = TEXTS[language]
    operator = online(make_operator, "Anna", language=language)
    conversation = shopper_writes("v-olga", "Where is my parcel?", name="Olga")
    page = new_page()  # the sign-in page in English; the workspace then speaks the operator's language
    errors = collect_errors(page)
    sign_in(page, operator)
    expect(page.get_by_role("tab", name=texts["tab"])).to_be_visible()

    # Registered after the chat opened: it still mounts there, after the built-in sections.
    page.evaluate(SECTION)
    panel = page.locator(f'.customer-extra[data-conversation-id="{conversation.pk}"]')
    section = panel.locator('[data-section="test-orders"]')
    expect(section).to_have_attribute("data-contact", str(conversation.contact_id))
    expect(section).to_have_attribute("data-language", language)
    # The built-in sections (ratings, customer notes, knowledge base, orders) first, then the two late ones.
    expect(panel.locator(".panel-section").nth(-2)).to_have_attribute("data-section", "test-orders")
    expect(panel.locator(".panel-section").last).to_have_attribute("data-section", "test-broken")
    # One that throws shows a notice in its place; the chat and the other sections work on.
    expect(panel.locator('[data-section="test-broken"]')).to_have_text(texts["section_failed"])
    expect(panel.locator('[data-section="feedback"]')).to_contain_text(texts["not_rated"])

    # A live event about this chat reaches the section.
    shopper_writes("v-olga", "Hello again", name="Olga")
    expect(section.locator(".seen")).to_have_text("message.new")

    # insertIntoReply puts the text into this chat's reply box; the operator sends it as usual.
    box = page.get_by_role("textbox", name=texts["reply"])
    box.fill("Hi Olga! ")
    section.get_by_role("button", name=f"Insert order {conversation.pk}").click()
    expect(box).to_have_value("Hi Olga! Order #1042 ships today.")
    expect(box).to_be_focused()
    box.press("Enter")
    wait_for(
        lambda: Message.objects.filter(conversation=conversation, text="Hi Olga! Order #1042 ships today.").exists()
    )
    save_screenshot(page, f"workspace-panel-section-{language}")
    assert [error for error in errors if "section broke" not in error and "test-broken" not in error] == []
