"""Help search relevance on the demo's bilingual corpus: each question (plain, word forms, typos)
must bring its article into the top three, on PostgreSQL and on the embedded default (SQLite)."""

from __future__ import annotations

import pytest
from django.db import connection

from chat.actions.setup import do_create_operator
from kb.actions import TranslationInput, do_save_article
from kb.models import Article, Category
from kb.search import search_articles

pytestmark = [pytest.mark.embedded]

RELEVANCE = [
    # English: plain, word forms, typos
    ("en", "How long does delivery take?", "delivery-times"),
    ("en", "when will my order be delivered", "delivery-times"),
    ("en", "delivry times", "delivery-times"),
    ("en", "track my parcel", "track-order"),
    ("en", "tracking number", "track-order"),
    ("en", "trakcing link", "track-order"),
    ("en", "change my address", "change-address"),
    ("en", "I want to cancel", "cancel-order"),
    ("en", "cancelling an order", "cancel-order"),
    ("en", "how do I return a dress", "return-item"),
    ("en", "returns", "return-item"),
    ("en", "where is my refund", "refund-status"),
    ("en", "refunded money not on card", "refund-status"),
    ("en", "which size should I take", "size-guide"),
    ("en", "sizes", "size-guide"),
    ("en", "an item is missing", "missing-item"),
    ("en", "payment failed", "payment-failed"),
    ("en", "paymnet declined", "payment-failed"),
    ("en", "damaged item", "damaged-item"),
    # Russian: plain, word forms, typos
    ("ru", "Сколько идёт доставка?", "delivery-times"),
    ("ru", "сроки доставки", "delivery-times"),
    ("ru", "доствка", "delivery-times"),
    ("ru", "как отследить посылку", "track-order"),
    ("ru", "трек-номер", "track-order"),
    ("ru", "изменить адрес", "change-address"),
    ("ru", "хочу сменить адрес доставки", "change-address"),
    ("ru", "отменить заказ", "cancel-order"),
    ("ru", "отмена заказа", "cancel-order"),
    ("ru", "как вернуть товар", "return-item"),
    ("ru", "возврат", "return-item"),
    ("ru", "когда вернутся деньги", "refund-status"),
    ("ru", "подобрать размер", "size-guide"),
    ("ru", "размеры", "size-guide"),
    ("ru", "в посылке не хватает", "missing-item"),
    ("ru", "не проходит оплата", "payment-failed"),
    ("ru", "оплта не прошла", "payment-failed"),
    ("ru", "товар повреждён", "damaged-item"),
]


@pytest.mark.parametrize(("language", "question", "key"), RELEVANCE, ids=[f"{r[0]}: {r[1]}" for r in RELEVANCE])
def test_the_right_article_is_in_the_top_three(corpus: None, language: str, question: str, key: str) -> None:
    answers = search_articles(question, language)
    assert key in [a.key for a in answers], (connection.vendor, [a.key for a in answers])
    assert len(answers) <= 3
    assert all(a.language == language for a in answers)


def test_answers_carry_the_title_summary_and_public_link_in_the_asked_language(corpus: None) -> None:
    [best, *_] = search_articles("сроки доставки", "ru")
    assert (best.key, best.title) == ("delivery-times", "Сроки доставки")
    assert best.summary.startswith("Заказ доставляем за 2–5 рабочих дней")
    assert "**" not in best.summary
    assert best.path == "/help/ru/delivery-times/"
    assert best.article_id == Article.objects.get(key="delivery-times").pk


def test_unpublished_and_other_language_articles_are_not_found(corpus: None) -> None:
    category = Category.objects.first()
    assert category is not None
    do_save_article(
        operator_id=None,
        key="secret-sale",
        category_id=category.pk,
        translations={"en": TranslationInput(title="Secret sale", slug="secret-sale", body="Zebra discount codes.")},
    )
    assert search_articles("zebra discount", "en") == []
    assert search_articles("delivery", "ru") == []  # English words do not match Russian articles


def test_nonsense_and_empty_questions_find_nothing(corpus: None) -> None:
    assert search_articles("", "en") == []
    assert search_articles("   ", "ru") == []
    assert search_articles("qqqq zzzz", "en") == []
    assert search_articles("\x00'); -- %s %%s", "en") == []  # quotes, NUL and placeholders are just text
    assert Article.objects.count() == 13


def test_a_manager_s_edit_is_searchable_at_once(corpus: None) -> None:
    manager = do_create_operator(username="maria", password="pw-123456", display_name="Maria", is_manager=True)
    article = Article.objects.get(key="contact-us")
    en = article.translations.get(language="en")
    do_save_article(
        operator_id=manager.pk,
        article_id=article.pk,
        key=article.key,
        category_id=article.category_id,
        translations={
            "en": TranslationInput(title="Opening hours", slug=en.slug, body="We answer from 8:00.", published=True)
        },
    )
    assert [a.key for a in search_articles("opening hours", "en")][:1] == ["contact-us"]
    assert "contact-us" not in [a.key for a in search_articles("связаться", "ru")]  # the Russian text is gone
