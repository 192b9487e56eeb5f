"""``load_demo`` brings the help articles (through chat.demo's loader registry), under stable keys."""

from __future__ import annotations

import pytest

from chat.demo import load_demo
from kb.actions import TranslationInput, do_save_article
from kb.demo import ARTICLES
from kb.models import Article, ArticleTranslation

# Transactional: the demo chats are assigned after commit.
pytestmark = [pytest.mark.embedded, pytest.mark.django_db(transaction=True)]


def test_the_demo_has_every_article_in_both_languages_and_keeps_edits() -> None:
    load_demo()
    keys = {"delivery-times", "track-order", "change-address", "cancel-order", "return-item", "refund-status"}
    keys |= {"size-guide", "missing-item", "payment-failed"}
    assert keys <= set(Article.objects.values_list("key", flat=True))
    assert ArticleTranslation.objects.filter(published=True).count() == 2 * len(ARTICLES)
    article = Article.objects.get(key="track-order")
    do_save_article(
        operator_id=None,
        article_id=article.pk,
        key=article.key,
        category_id=article.category_id,
        translations={"en": TranslationInput(title="Where is my parcel?", slug="track-order", body="Edited.")},
    )
    load_demo()
    assert list(article.translations.values_list("title", flat=True)) == ["Where is my parcel?"]
    assert Article.objects.count() == len(ARTICLES)
