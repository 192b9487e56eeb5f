"""Demo orders for the demo shoppers (``make run``), and a waiting chat from Olga about one of them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from chat.actions import InboundMessage, do_receive_inbound, do_set_contact_details
from chat.models import Connector
from orders.actions import do_upsert_batch
from orders.models import Order
from orders.schemas import BatchIn

DEMO_SHOPPERS = [
    # (widget visitor of chat.demo, shop customer id, name, email)
    ("demo-visitor-1", "C-1001", "Olga", "olga@example.com"),
    ("demo-visitor-2", "C-1002", "James", "james@example.com"),
]


def _demo_batch() -> dict[str, Any]:
    now = timezone.now().replace(microsecond=0)

    def ago(days: float) -> str:
        return (now - timedelta(days=days)).isoformat()

    return {
        "customers": [{"id": cid, "name": name, "email": email} for _, cid, name, email in DEMO_SHOPPERS],
        "orders": [
            {
                "number": "10234",
                "status": "shipped",
                "customer_id": "C-1001",
                "currency": "EUR",
                "total": "89.90",
                "placed_at": ago(4),
                "paid_at": ago(4),
                "shipped_at": ago(2),
                "promised_delivery_at": ago(-2),
                "carrier": "DHL",
                "tracking_number": "JJD000390007",
                "tracking_url": "https://www.dhl.com/track?id=JJD000390007",
                "delivery_address": "ul. Lenina 1, kv. 5, Moscow",
                "items": [
                    {"name": "Wool coat, navy, M", "quantity": 1, "price": "79.90"},
                    {"name": "Delivery", "quantity": 1, "price": "10.00"},
                ],
            },
            {
                "number": "10012",
                "status": "delivered",
                "customer_id": "C-1001",
                "currency": "EUR",
                "total": "39.80",
                "placed_at": ago(40),
                "paid_at": ago(40),
                "shipped_at": ago(38),
                "delivered_at": ago(35),
                "carrier": "DHL",
                "items": [{"name": "Cotton T-shirt, white, S", "quantity": 2, "price": "19.90"}],
            },
            {
                "number": "10240",
                "status": "return_requested",
                "customer_id": "C-1002",
                "currency": "GBP",
                "total": "120.00",
                "placed_at": ago(12),
                "paid_at": ago(12),
                "shipped_at": ago(10),
                "delivered_at": ago(7),
                "status_changed_at": ago(1),
                "carrier": "Royal Mail",
                "tracking_number": "RM123456785GB",
                "tracking_url": "https://www.royalmail.com/track-your-item#/tracking-results/RM123456785GB",
                "items": [{"name": "Leather jacket, black, S", "quantity": 1, "price": "120.00"}],
            },
        ],
    }


def load_demo_orders() -> None:
    """Once: the orders, the demo shoppers signed in as those customers (which links the orders),
    and a waiting chat from Olga so the first operator online sees her orders beside it."""
    if Order.objects.exists():
        return
    do_upsert_batch(BatchIn.model_validate(_demo_batch()))
    for visitor, customer_id, name, email in DEMO_SHOPPERS:
        do_set_contact_details(
            connector=Connector.WIDGET,
            sender_id=visitor,
            name=name,
            email=email,
            customer_id=customer_id,
            verified=True,
        )
    do_receive_inbound(
        InboundMessage(
            connector=Connector.WIDGET,
            sender_id="demo-visitor-1",
            sender_name="Olga",
            language="ru",
            text="Здравствуйте! Заказ 10234 уже два дня в пути, когда его привезут?",
        )
    )
