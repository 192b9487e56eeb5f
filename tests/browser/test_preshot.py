"""The managers' pre-shot rules page in real Chromium, in English and Russian: the list, a new rule
refused field by field, then saved."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from chat.models import Operator
from kb.demo import load_kb_demo
from preshot.actions import do_load_default_rules
from preshot.models import Rule
from tests.browser.conftest import in_thread, save_screenshot, wait_for
from tests.browser.test_kb import UI, sign_in

pytestmark = [pytest.mark.browser]

TEXT = {
    "en": {
        "heading": "Suggestions before the chat",
        "new": "New rule",
        "question": "Question (Russian)",
        "missing": "Write the question in this language.",
        "saved": "Rule saved.",
        "shipped": "Shipped",
    },
    "ru": {
        "heading": "Подсказки до чата",
        "new": "Новое правило",
        "question": "Вопрос (по-русски)",
        "missing": "Напишите вопрос на этом языке.",
        "saved": "Правило сохранено.",
        "shipped": "Отправлен",
    },
}


@pytest.fixture
def rules(transactional_db: None) -> None:
    in_thread(load_kb_demo)
    in_thread(do_load_default_rules)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_manager_reads_the_rules_and_adds_one(
    rules: None, make_operator: Callable[..., Operator], new_page: Callable[..., Page], language: str
) -> None:
    text = TEXT[language]
    manager = in_thread(make_operator, "Maria", is_manager=True, language=language)
    page = new_page(locale=UI[language]["locale"], viewport={"width": 1280, "height": 1000})
    sign_in(page, manager, language, "/workspace/preshot/")
    expect(page.get_by_role("heading", level=1)).to_have_text(text["heading"])
    expect(page.locator("table.preshot-rules")).to_contain_text("My parcel is late")
    expect(page.locator("table.preshot-rules")).to_contain_text("Посылка задерживается")
    save_screenshot(page, f"preshot-rules-{language}", full_page=True)
    count = in_thread(Rule.objects.count)

    page.get_by_role("link", name=text["new"]).click()
    page.get_by_label(text["shipped"]).check()
    page.locator("#article_key").fill("track-order")
    page.locator("#question_en").fill("Is my parcel stuck?")
    page.get_by_role("button", name=UI[language]["save"], exact=True).click()
    expect(page.locator(".preshot-rule")).to_contain_text(text["missing"])
    assert in_thread(Rule.objects.count) == count
    save_screenshot(page, f"preshot-rule-form-{language}", full_page=True)

    page.get_by_label(text["question"]).fill("Посылка застряла?")
    page.get_by_role("button", name=UI[language]["save"], exact=True).click()
    expect(page.get_by_role("status")).to_have_text(text["saved"])
    wait_for(lambda: Rule.objects.filter(question_ru="Посылка застряла?", statuses=["shipped"]).exists())
