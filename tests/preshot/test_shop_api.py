"""Suggestions and the help search in the shop API: exactly what the widget shows, in the asked
language, behind the shop key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from orders.actions import do_create_shop_api_key
from tests.preshot.conftest import make_order

pytestmark = [pytest.mark.django_db, pytest.mark.embedded, pytest.mark.usefixtures("articles")]


@pytest.fixture
def shop() -> Client:
    key = do_create_shop_api_key(name="Test shop")[1]
    return Client(headers={"Authorization": f"Bearer {key}"})


@pytest.mark.parametrize(
    ("language", "question", "title", "action"),
    [
        ("en", "Where is my parcel?", "Track your order", "Track the parcel"),
        ("ru", "Где моя посылка?", "Как отследить заказ", "Отследить посылку"),
    ],
)
def test_an_orders_suggestions_in_the_asked_language(
    shop: Client, language: str, question: str, title: str, action: str
) -> None:
    order = make_order("shipped", 0, number="S-1", tracking_url="https://carrier.example/t/S-1")
    order.placed_at = order.shipped_at = timezone.now() - timedelta(days=2)
    order.save()
    body = shop.get("/api/shop/v1/orders/S-1/suggestions", {"lang": language}).json()
    assert body["order"]["number"] == "S-1" and body["order"]["status"] == "shipped"
    assert body["language"] == language
    first = body["suggestions"][0]
    assert first["question"] == question
    assert first["answer"]["key"] == "track-order" and first["answer"]["title"] == title
    assert first["answer"]["url"].startswith("http://testserver/help/")
    assert first["action"]["kind"] == "track" and first["action"]["url"] == "https://carrier.example/t/S-1"
    assert first["action"]["label"] == action
    assert [s["answer"]["key"] for s in body["suggestions"]] == ["track-order", "delivery-times"]


def test_unknown_order_and_bad_language_get_clear_errors(shop: Client) -> None:
    missing = shop.get("/api/shop/v1/orders/NOPE/suggestions")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    make_order("paid", 0, number="P-1")
    bad = shop.get("/api/shop/v1/orders/P-1/suggestions", {"lang": "de"})
    assert bad.status_code == 422
    assert [f["field"] for f in bad.json()["error"]["fields"]] == ["lang"]


def test_without_the_shop_key_nothing_is_shown() -> None:
    make_order("paid", 0, number="P-1")
    assert Client().get("/api/shop/v1/orders/P-1/suggestions").status_code == 401
    assert Client().get("/api/shop/v1/help/search", {"q": "refund"}).status_code == 401


@pytest.mark.parametrize(
    ("language", "query", "key"), [("en", "refnd", "refund-status"), ("ru", "возврат денег", "refund-status")]
)
def test_the_help_search_under_the_shop_api_matches_the_widgets(
    shop: Client, language: str, query: str, key: str
) -> None:
    body = shop.get("/api/shop/v1/help/search", {"q": query, "lang": language}).json()
    widget = Client().get("/help/search.json", {"q": query, "lang": language}).json()
    assert key in [r["key"] for r in body["results"]]
    assert [r["article_id"] for r in body["results"]] == [r["article_id"] for r in widget["results"]]


@pytest.mark.parametrize(("language", "label"), [("en", "Shipped"), ("ru", "Отправлен")])
def test_the_orders_stage_is_named_in_the_asked_language_too(shop: Client, language: str, label: str) -> None:
    """Not in the script's Accept-Language: a Russian shopper's stage reads in Russian, as in the widget."""
    make_order("shipped", 0, number="S-2")
    body = shop.get("/api/shop/v1/orders/S-2/suggestions", {"lang": language}, HTTP_ACCEPT_LANGUAGE="de").json()
    assert body["order"]["status_label"] == label
