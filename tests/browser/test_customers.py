"""Customer 360 in Chromium against a live daphne: the customer page with readable identities and
escaped notes, a merge with its confirmation and its undo, in English and Russian; the notes section
beside the chat."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from chat.actions import InboundMessage, do_receive_inbound, do_set_operator_status
from chat.models import ContactMerge, ContactNote, Identity, Operator
from tests.browser.conftest import in_thread, save_screenshot, wait_for

pytestmark = [pytest.mark.browser]

XSS = '<img src=x onerror="window.__pwned=1">'
TEXTS = {
    "en": {
        "find": "Name, email, phone, @username or connector id",
        "search": "Find",
        "choose": "Merge into this customer…",
        "sure": "Yes, these are the same person.",
        "merge": "Merge",
        "merged": "was merged into this customer",
        "undo": "Undo merge",
        "undone": "The merge was undone",
        "note": "New note (operators only; kept across conversations)",
        "add": "Add note",
        "notes": "Notes about the customer",
    },
    "ru": {
        "find": "Имя, email, телефон, @username или id в мессенджере",
        "search": "Найти",
        "choose": "Объединить с этим покупателем…",
        "sure": "Да, это один и тот же человек.",
        "merge": "Объединить",
        "merged": "объединён с этим покупателем",
        "undo": "Отменить объединение",
        "undone": "Объединение отменено",
        "note": "Новая заметка (видят только операторы; сохраняется между чатами)",
        "add": "Добавить заметку",
        "notes": "Заметки о покупателе",
    },
}


def sign_in(page: Page, operator: Operator, next_url: str) -> None:
    page.goto(next_url)
    page.locator("#id_username").fill(operator.user.username)
    page.locator("#id_password").fill("pw-123456")
    page.locator("#id_password").press("Enter")
    page.wait_for_url(f"**{next_url}")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_customer_page_merge_and_undo(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page], language: str
) -> None:
    t = TEXTS[language]
    boris = in_thread(make_operator, "Boris", language=language)
    in_thread(do_set_operator_status, operator_id=boris.pk, status="online")
    telegram = InboundMessage(
        connector="telegram", sender_id="5005", text="hi", sender_name="Olga", identity_details={"username": "olga_p"}
    )
    in_thread(do_receive_inbound, telegram)
    in_thread(do_receive_inbound, InboundMessage(connector="vk", sender_id="123456", text="hi", sender_name="Olga P"))
    target = Identity.objects.get(connector="telegram", external_id="5005").contact_id
    source = Identity.objects.get(connector="vk", external_id="123456").contact_id

    page = new_page()
    sign_in(page, boris, f"/workspace/customers/{target}/")
    identities = page.locator(".identity-list")
    expect(identities.get_by_role("link", name="@olga_p Olga")).to_have_attribute("href", "https://t.me/olga_p")
    expect(identities.locator("[data-kind=vk]")).to_have_count(0)

    page.get_by_label(t["note"]).fill(XSS)
    page.get_by_role("button", name=t["add"]).click()
    expect(page.locator(".note-list .note-text")).to_have_text([XSS])
    assert page.evaluate("window.__pwned") is None
    assert ContactNote.objects.get().text == XSS

    page.get_by_label(t["find"]).fill("Olga P")
    page.get_by_role("button", name=t["search"], exact=True).click()
    candidate = page.locator(f'.candidates li[data-contact-id="{source}"]')
    candidate.get_by_role("link", name=t["choose"]).click()
    confirm = page.locator(".merge-confirm")
    expect(confirm).to_contain_text(f"«Olga P» (№{source})" if language == "ru" else f"“Olga P” (#{source})")
    confirm.get_by_role("button", name=t["merge"]).click()
    assert not ContactMerge.objects.exists(), "the confirmation must be ticked first"
    confirm.get_by_label(t["sure"]).check()
    confirm.get_by_role("button", name=t["merge"]).click()
    expect(page.get_by_role("status")).to_contain_text(t["merged"])
    vk = identities.locator("[data-kind=vk]")
    expect(vk.get_by_role("link")).to_have_attribute("href", "https://vk.com/id123456")
    expect(page.locator(".conversations tbody tr")).to_have_count(2)
    save_screenshot(page, f"customer-360-{language}", full_page=True)

    page.get_by_role("button", name=t["undo"]).click()
    expect(page.get_by_role("status")).to_contain_text(t["undone"])
    expect(identities.locator("[data-kind=vk]")).to_have_count(0)
    assert wait_for(lambda: Identity.objects.get(connector="vk", external_id="123456").contact_id == source)
    expect(page.get_by_role("button", name=t["undo"])).to_have_count(0)


def test_notes_beside_the_chat(
    transactional_db: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page]
) -> None:
    boris = in_thread(make_operator, "Boris")
    in_thread(do_set_operator_status, operator_id=boris.pk, status="online")
    in_thread(do_receive_inbound, InboundMessage(connector="widget", sender_id="v-n", text="hi", sender_name="Nina"))
    contact = Identity.objects.get(connector="widget", external_id="v-n").contact_id
    page = new_page()
    sign_in(page, boris, "/workspace/")
    section = page.locator("section.customer-section")
    expect(section).to_contain_text("No notes yet.")
    section.get_by_role("textbox", name=TEXTS["en"]["note"]).fill("Wants <b>gift</b> wrapping")
    section.get_by_role("button", name=TEXTS["en"]["add"]).click()
    expect(section.locator(".note-text")).to_have_text(["Wants <b>gift</b> wrapping"])
    expect(section.get_by_role("link", name="Open the customer page")).to_have_attribute(
        "href", f"/workspace/customers/{contact}/"
    )
    save_screenshot(page, "workspace-customer-notes")
