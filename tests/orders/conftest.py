"""Helpers for the orders tests: a shop key, a client that sends it, and batches to push."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from orders.actions import do_create_shop_api_key


@pytest.fixture
def shop_key(db: None) -> str:
    return do_create_shop_api_key(name="Test shop")[1]


@pytest.fixture
def push(shop_key: str) -> Callable[..., Any]:
    """``push(body)`` POSTs a batch with the shop's key; returns the response."""
    client = Client()

    def send(body: Any, key: str | None = shop_key, raw: bytes | None = None) -> Any:
        headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
        data = raw if raw is not None else json.dumps(body)
        return client.post("/api/shop/v1/batch", data, content_type="application/json", headers=headers)

    return send


def order(number: Any = "A-1", **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "number": number,
        "status": "paid",
        "customer_id": "C-1",
        "currency": "EUR",
        "total": "59.80",
        "placed_at": "2026-11-20T10:00:00+00:00",
        "paid_at": "2026-11-20T10:05:00+00:00",
        "items": [{"name": "Scarf", "quantity": 2, "price": "29.90", "image_url": "https://shop.example/s.jpg"}],
    }
    return {**base, **fields}


def customer(cid: str = "C-1", **fields: Any) -> dict[str, Any]:
    return {"id": cid, "name": "Olga", "email": "Olga@Example.com", "phone": "+7 912 000-00-01", **fields}


def batch(*orders: dict[str, Any], customers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"customers": copy.deepcopy(customers if customers is not None else [customer()]), "orders": list(orders)}
