"""The editor (managers write, operators read), the public page and both search endpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from chat.models import Operator
from kb.models import Article, ArticleTranslation, Category

pytestmark = [pytest.mark.embedded]


def client_for(operator: Operator | None) -> Client:
    client = Client()
    if operator is not None:
        client.force_login(operator.user)
    return client


def new_article_form(**overrides: str) -> dict[str, str]:
    category = Category.objects.get(slug="orders")
    form = {
        "key": "gift-wrap",
        "category": str(category.pk),
        "en-title": "Gift wrapping",
        "en-slug": "gift-wrapping",
        "en-body": "We wrap gifts for free.\n\n<script>alert(1)</script> [x](javascript:alert(1))",
        "en-published": "on",
        "ru-title": "Подарочная упаковка",
        "ru-slug": "podarochnaya-upakovka",
        "ru-body": "Упакуем подарок бесплатно.",
        "action": "save",
    }
    form.update(overrides)
    return form


def snapshot() -> tuple[int, int, list[tuple[str, str]]]:
    return (
        Article.objects.count(),
        ArticleTranslation.objects.count(),
        list(ArticleTranslation.objects.order_by("pk").values_list("title", "body")),
    )


def test_operators_read_the_list_but_cannot_write(corpus: None, make_operator: Callable[..., Operator]) -> None:
    anna = client_for(make_operator("Anna"))
    listing = anna.get("/workspace/kb/")
    assert listing.status_code == 200
    assert "Delivery times" in listing.content.decode() and "Сроки доставки" in listing.content.decode()
    assert "/workspace/kb/new/" not in listing.content.decode()
    assert listing.context["articles"][0].last_updated is not None
    article = Article.objects.get(key="delivery-times")
    before = snapshot()
    assert anna.get("/workspace/kb/new/").status_code == 403
    assert anna.get(f"/workspace/kb/{article.pk}/").status_code == 403
    assert anna.post("/workspace/kb/new/", new_article_form()).status_code == 403
    edit = new_article_form(key="delivery-times", **{"en-title": "Hacked", "en-slug": "delivery-times"})
    assert anna.post(f"/workspace/kb/{article.pk}/", edit).status_code == 403
    assert anna.post("/workspace/kb/categories/", {"slug": "x", "name_en": "X", "name_ru": "Х"}).status_code == 403
    assert snapshot() == before
    assert not Category.objects.filter(slug="x").exists()
    assert client_for(None).get("/workspace/kb/").status_code == 302


def test_a_manager_writes_an_article_in_both_languages(corpus: None, make_operator: Callable[..., Operator]) -> None:
    maria = client_for(make_operator("Maria", is_manager=True))
    preview = maria.post("/workspace/kb/new/", new_article_form(action="preview"))
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "<p>We wrap gifts for free.</p>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert not Article.objects.filter(key="gift-wrap").exists()  # a preview saves nothing

    saved = maria.post("/workspace/kb/new/", new_article_form())
    article = Article.objects.get(key="gift-wrap")
    assert saved.status_code == 302 and saved["Location"] == f"/workspace/kb/{article.pk}/"
    en, ru = article.translations.get(language="en"), article.translations.get(language="ru")
    assert (en.published, ru.published) == (True, False)
    assert en.summary == "We wrap gifts for free."
    public = client_for(None).get("/help/en/gift-wrapping/")
    assert public.status_code == 200
    assert "<script>alert(1)" not in public.content.decode() and 'href="javascript' not in public.content.decode()
    assert client_for(None).get("/help/ru/podarochnaya-upakovka/").status_code == 404  # a draft
    assert client_for(None).get("/help/en/podarochnaya-upakovka/").status_code == 404


def test_bad_input_names_each_field_and_saves_nothing(corpus: None, make_operator: Callable[..., Operator]) -> None:
    maria = client_for(make_operator("Maria", is_manager=True))
    before = snapshot()
    response = maria.post(
        "/workspace/kb/new/",
        new_article_form(
            key="Bad Key!",
            category="999999",
            **{"en-slug": "delivery-times", "ru-title": "", "ru-body": "x" * 50_001},
        ),
    )
    assert response.status_code == 400
    errors = response.context["errors"]
    assert set(errors) == {"key", "category", "en-slug", "ru-title", "ru-body"}
    assert snapshot() == before
    assert "Gift wrapping" in response.content.decode()  # what the manager typed is kept


def test_removing_a_language_deletes_that_translation(corpus: None, make_operator: Callable[..., Operator]) -> None:
    maria = client_for(make_operator("Maria", is_manager=True))
    article = Article.objects.get(key="contact-us")
    en = article.translations.get(language="en")
    form = {
        "key": article.key,
        "category": str(article.category_id),
        "en-title": en.title,
        "en-slug": en.slug,
        "en-body": en.body,
        "en-published": "on",
        "action": "save",
    }
    assert maria.post(f"/workspace/kb/{article.pk}/", form).status_code == 302
    assert list(article.translations.values_list("language", flat=True)) == ["en"]
    assert client_for(None).get("/help/ru/contact-us/").status_code == 404


def test_the_widget_search_is_public_cors_and_in_the_asked_language(corpus: None) -> None:
    response = client_for(None).get("/help/search.json", {"q": "доствка", "lang": "ru"})
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    data: dict[str, Any] = response.json()
    assert data["language"] == "ru"
    assert data["results"][0]["key"] == "delivery-times"
    assert data["results"][0]["title"] == "Сроки доставки"
    assert data["results"][0]["url"].endswith("/help/ru/delivery-times/")
    assert data["labels"]["placeholder"] != ""
    labels_en = client_for(None).get("/help/search.json", {"lang": "en"}).json()
    assert labels_en["results"] == [] and labels_en["labels"]["title"] == "Find an answer"


def test_the_widget_search_is_rate_limited(corpus: None, settings: Any) -> None:
    settings.SWITCHBOARD_RATE_LIMITS = {**settings.SWITCHBOARD_RATE_LIMITS, "help_search_ip": "2/60"}
    client = client_for(None)
    assert [client.get("/help/search.json", {"q": "x"}).status_code for _ in range(3)] == [200, 200, 429]


def test_the_api_returns_what_the_widget_shows(corpus: None, make_operator: Callable[..., Operator]) -> None:
    anna = client_for(make_operator("Anna"))
    api = anna.get("/api/kb/search", {"q": "where is my refund", "lang": "en"})
    widget = client_for(None).get("/help/search.json", {"q": "where is my refund", "lang": "en"})
    assert api.status_code == 200
    assert api.json()["results"] == widget.json()["results"]
    assert "refund-status" in [r["key"] for r in api.json()["results"]]
    assert anna.get("/api/kb/search", {"q": "x", "lang": "de"}).status_code == 422
    assert client_for(None).get("/api/kb/search", {"q": "refund"}).status_code == 401


def test_the_public_page_is_in_its_own_language(corpus: None) -> None:
    page = client_for(None).get("/help/ru/delivery-times/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="ru">' in html and "<h1>Сроки доставки</h1>" in html
    assert "<strong>2–5 рабочих дней</strong>" in html
    assert 'href="/help/en/delivery-times/"' in html
    assert client_for(None).get("/help/de/delivery-times/").status_code == 404
