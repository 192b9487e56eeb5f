"""The shop API: every bad input refused whole with per-field errors, keys, idempotent upserts, history."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from orders.actions import do_revoke_shop_api_key
from orders.models import Order, OrderItem, OrderStatusChange, ShopApiKey, ShopCustomer
from orders.schemas import MAX_ORDERS_PER_BATCH
from tests.orders.conftest import batch, customer, order

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def rows() -> tuple[int, int, int, int]:
    return (
        ShopCustomer.objects.count(),
        Order.objects.count(),
        OrderItem.objects.count(),
        OrderStatusChange.objects.count(),
    )


BAD_BATCHES: list[tuple[str, Any, str, str]] = [
    # (case, body, field, words in the message)
    ("unknown field", batch(order(colour="red")), "orders[0].colour", "Unknown field"),
    ("unknown top-level field", {**batch(order()), "shop": "x"}, "shop", "Unknown field"),
    ("number not a string", batch(order(number=1234)), "orders[0].number", "Must be a string"),
    (
        "quantity as text",
        batch(order(items=[{"name": "Scarf", "quantity": "2"}])),
        "orders[0].items[0].quantity",
        "whole number",
    ),
    (
        "quantity a boolean",
        batch(order(items=[{"name": "Scarf", "quantity": True}])),
        "orders[0].items[0].quantity",
        "whole number",
    ),
    (
        "quantity zero",
        batch(order(items=[{"name": "Scarf", "quantity": 0}])),
        "orders[0].items[0].quantity",
        "at least 1",
    ),
    ("total not an amount", batch(order(total="lots")), "orders[0].total", "amount"),
    ("total a boolean", batch(order(total=True)), "orders[0].total", "amount"),
    ("time as a number", batch(order(delivered_at=0)), "orders[0].delivered_at", "ISO 8601"),
    ("total three decimals", batch(order(total="1.005")), "orders[0].total", "amount"),
    ("items not a list", batch(order(items={"name": "Scarf"})), "orders[0].items", "list"),
    ("unknown status", batch(order(status="lost")), "orders[0].status", "Unknown status"),
    ("missing status", batch({"number": "A-1"}), "orders[0].status", "required"),
    ("time without timezone", batch(order(placed_at="2026-11-20T10:00:00")), "orders[0].placed_at", "timezone"),
    ("time not a time", batch(order(shipped_at="yesterday")), "orders[0].shipped_at", "ISO 8601"),
    (
        "promise without timezone",
        batch(order(promised_delivery_at="2026-12-05T18:00:00")),
        "orders[0].promised_delivery_at",
        "timezone",
    ),
    (
        "promise as a number",
        batch(order(promised_delivery_at=1764950400)),
        "orders[0].promised_delivery_at",
        "ISO 8601",
    ),
    ("currency lower-case", batch(order(currency="eur")), "orders[0].currency", "ISO 4217"),
    ("tracking link javascript", batch(order(tracking_url="javascript:alert(1)")), "orders[0].tracking_url", "http"),
    (
        "image link not a link",
        batch(order(items=[{"name": "S", "quantity": 1, "image_url": "s.jpg"}])),
        "orders[0].items[0].image_url",
        "http",
    ),
    ("bad customer email", batch(order(), customers=[customer(email="not-an-email")]), "customers[0].email", "email"),
    (
        "customer without id",
        batch(order(customer_id=None), customers=[{"name": "Olga"}]),
        "customers[0].id",
        "required",
    ),
    ("unknown customer", batch(order(customer_id="C-404")), "orders[0].customer_id", "Unknown customer C-404"),
    ("duplicate order numbers", batch(order("A-1"), order("A-1")), "orders[1].number", "already in this batch"),
    (
        "duplicate customers",
        batch(order(), customers=[customer(), customer()]),
        "customers[1].id",
        "already in this batch",
    ),
    (
        "over the batch size",
        batch(*[order(f"N-{n}") for n in range(MAX_ORDERS_PER_BATCH + 1)]),
        "orders",
        f"At most {MAX_ORDERS_PER_BATCH}",
    ),
    ("body not an object", [order()], "body", ""),
]


@pytest.mark.parametrize(("case", "body", "field", "words"), BAD_BATCHES, ids=[c[0] for c in BAD_BATCHES])
def test_bad_input_is_refused_whole_with_the_field_named(
    push: Callable[..., Any], case: str, body: Any, field: str, words: str
) -> None:
    # A good order beside the bad one: nothing of the batch may be stored.
    if isinstance(body, dict) and case not in ("over the batch size",):
        body = {**body, "orders": [order("GOOD-1"), *body.get("orders", [])]}
        field = field.replace("orders[1]", "orders[2]").replace("orders[0]", "orders[1]")
    answer = push(body)
    assert answer.status_code == 422, answer.content
    error = answer.json()["error"]
    assert error["code"] == "invalid_batch"
    messages = {f["field"]: f["message"] for f in error["fields"]}
    assert field in messages, messages
    assert words in messages[field]
    assert rows() == (0, 0, 0, 0)


def test_several_problems_are_all_listed(push: Callable[..., Any]) -> None:
    answer = push(batch(order("A-1", status="lost"), order("A-2", total="x", colour=1)))
    fields = {f["field"] for f in answer.json()["error"]["fields"]}
    assert fields == {"orders[0].status", "orders[1].total", "orders[1].colour"}


def test_broken_json_and_a_nul_are_400_not_500(push: Callable[..., Any]) -> None:
    assert push(None, raw=b'{"orders": [').status_code == 400
    answer = push(batch(order(carrier="DHL\u0000")))
    assert answer.status_code == 400
    assert "carrier" in answer.json()["error"]["message"]
    assert rows() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    "key",
    [None, "", "sbk_000000000000_forged", "not-even-the-shape", "Bearer"],
    ids=["missing", "empty", "forged", "malformed", "word"],
)
def test_a_missing_or_wrong_key_is_401_and_stores_nothing(push: Callable[..., Any], key: str | None) -> None:
    answer = push(batch(order()), key=key)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthorized"
    assert rows() == (0, 0, 0, 0)


def test_a_revoked_key_is_401(push: Callable[..., Any], shop_key: str) -> None:
    do_revoke_shop_api_key(key_id=ShopApiKey.objects.get().pk)
    assert push(batch(order())).status_code == 401


def test_the_key_is_stored_hashed(shop_key: str) -> None:
    row = ShopApiKey.objects.get()
    assert shop_key not in (row.key_hash, row.prefix) and len(row.key_hash) == 64
    assert shop_key.startswith(f"sbk_{row.prefix}_")


def test_an_operator_session_is_no_shop_key(make_operator: Callable[..., Any]) -> None:
    client = Client()
    client.force_login(make_operator("Anna").user)
    assert client.post("/api/shop/v1/batch", "{}", content_type="application/json").status_code == 401
    assert client.get("/api/shop/v1/orders/A-1").status_code == 401


def test_upsert_is_idempotent_and_a_status_change_keeps_its_history(push: Callable[..., Any]) -> None:
    first = push(batch(order()))
    assert first.status_code == 200, first.content
    assert first.json() | {"orders": {}} == {
        "customers_created": 1,
        "customers_updated": 0,
        "orders_created": 1,
        "orders_updated": 0,
        "orders_unchanged": 0,
        "orders": {},
    }
    again = push(batch(order()))
    assert again.json()["orders"] == {"A-1": "unchanged"}
    assert rows() == (1, 1, 1, 1)

    shipped = order(status="shipped", shipped_at="2026-11-22T08:00:00+00:00", carrier="DHL", tracking_number="JJD1")
    assert push(batch(shipped)).json()["orders"] == {"A-1": "updated"}
    assert push(batch(shipped)).json()["orders"] == {"A-1": "unchanged"}
    stored = Order.objects.get(number="A-1")
    assert stored.status == "shipped"
    assert stored.stage_since().isoformat() == "2026-11-22T08:00:00+00:00"
    assert [(c.status, c.at.isoformat()) for c in stored.status_changes.all()] == [
        ("paid", "2026-11-20T10:05:00+00:00"),
        ("shipped", "2026-11-22T08:00:00+00:00"),
    ]


def test_fields_left_out_keep_their_value_and_items_replace(push: Callable[..., Any]) -> None:
    push(batch(order(carrier="DHL")))
    push(batch({"number": "A-1", "status": "paid", "items": [{"name": "Hat", "quantity": 1}]}))
    stored = Order.objects.get(number="A-1")
    assert stored.carrier == "DHL" and str(stored.total) == "59.80"
    assert [(i.name, i.quantity, i.price) for i in stored.items.all()] == [("Hat", 1, None)]


def test_scripts_read_an_order_and_a_customers_orders(push: Callable[..., Any], shop_key: str) -> None:
    push(batch(order("A-1"), order("A-2", status="cancelled")))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {shop_key}")
    one = client.get("/api/shop/v1/orders/A-1").json()
    assert (one["number"], one["status"], one["total"], one["items"][0]["name"]) == ("A-1", "paid", "59.80", "Scarf")
    assert [h["status"] for h in one["history"]] == ["paid"]
    theirs = client.get("/api/shop/v1/customers/C-1/orders").json()
    assert theirs["email"] == "Olga@Example.com"
    assert sorted(o["number"] for o in theirs["orders"]) == ["A-1", "A-2"]
    assert client.get("/api/shop/v1/orders/NOPE").status_code == 404
    assert client.get("/api/shop/v1/customers/NOPE/orders").status_code == 404


def test_the_carriers_promise_is_stored_kept_when_left_out_and_read_back(
    push: Callable[..., Any], shop_key: str
) -> None:
    push(batch(order("A-1", status="shipped", promised_delivery_at="2026-12-05T18:00:00+01:00")))
    push(batch({"number": "A-1", "status": "shipped", "carrier": "DHL"}))
    stored = Order.objects.get(number="A-1")
    assert (
        stored.promised_delivery_at is not None
        and stored.promised_delivery_at.isoformat() == "2026-12-05T17:00:00+00:00"
    )
    read = Client(HTTP_AUTHORIZATION=f"Bearer {shop_key}").get("/api/shop/v1/orders/A-1").json()
    assert read["promised_delivery_at"] == "2026-12-05T17:00:00+00:00"


def test_the_openapi_document_shows_the_batch_with_an_example() -> None:
    schema = Client().get("/api/shop/v1/openapi.json").json()
    body = schema["paths"]["/api/shop/v1/batch"]["post"]["requestBody"]["content"]["application/json"]
    assert body["example"]["orders"][0]["number"] == "10234"
    assert "500 orders" in schema["info"]["description"]


def test_errors_speak_russian_when_asked(shop_key: str) -> None:
    answer = Client().post(
        "/api/shop/v1/batch",
        json.dumps(batch(order(status="lost", colour=1))),
        content_type="application/json",
        headers={"Authorization": f"Bearer {shop_key}", "Accept-Language": "ru"},
    )
    messages = {f["field"]: f["message"] for f in answer.json()["error"]["fields"]}
    assert messages["orders[0].colour"] == "Неизвестное поле."
    assert messages["orders[0].status"].startswith("Неизвестный статус")
    assert answer.json()["error"]["message"].startswith("Пакет не сохранён")
