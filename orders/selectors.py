"""Reads of the orders app: a customer's orders as the panel, the shop API and the export show them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from chat.models import Contact, Conversation
from orders.models import OPEN_STATUSES, ConversationOrder, Order, OrderStatus

# The panel shows this many orders, newest first.
PANEL_ORDERS = 20


def family_of(contact_id: int) -> list[int]:
    """A contact and every contact merged into it: one person's orders."""
    return [contact_id, *Contact.objects.filter(merged_into_id=contact_id).values_list("pk", flat=True)]


def orders_of(contact_ids: Sequence[int]) -> QuerySet[Order]:
    return (
        Order.objects.filter(contact_id__in=contact_ids)
        .prefetch_related("items", "status_changes")
        .order_by("-placed_at", "-created_at", "-id")
    )


def likeliest_order(orders: Sequence[Order]) -> Order | None:
    """What a chat is most likely about: the most recent order still moving, else the most recent."""
    return next((o for o in orders if o.status in OPEN_STATUSES), orders[0] if orders else None)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _money(value: Any) -> str | None:
    return None if value is None else f"{value:.2f}"


def order_payload(order: Order) -> dict[str, Any]:
    return {
        "id": order.pk,
        "number": order.number,
        "status": order.status,
        "status_label": str(OrderStatus(order.status).label),
        "is_open": order.is_open,
        "stage_since": _iso(order.stage_since()),
        "customer_id": order.customer_id,
        "email": order.email,
        "phone": order.phone,
        "currency": order.currency,
        "total": _money(order.total),
        "placed_at": _iso(order.placed_at),
        "paid_at": _iso(order.paid_at),
        "shipped_at": _iso(order.shipped_at),
        "delivered_at": _iso(order.delivered_at),
        "promised_delivery_at": _iso(order.promised_delivery_at),
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "tracking_url": order.tracking_url,
        "delivery_address": order.delivery_address,
        "items": [
            {"name": i.name, "quantity": i.quantity, "price": _money(i.price), "image_url": i.image_url}
            for i in order.items.all()
        ],
        "history": [
            {"status": c.status, "status_label": str(OrderStatus(c.status).label), "at": _iso(c.at)}
            for c in order.status_changes.all()
        ],
    }


def conversation_orders(conversation: Conversation) -> dict[str, Any]:
    """The panel's data: the contact's orders and which one this chat is about, and why that one."""
    orders = list(orders_of(family_of(conversation.contact_id))[:PANEL_ORDERS])
    picked = ConversationOrder.objects.filter(conversation=conversation, order__in=orders).first()
    about = next((o for o in orders if picked and o.pk == picked.order_id), None)
    about_reason = picked.chosen_by if about and picked else None
    if about is None:
        about = likeliest_order(orders)
        about_reason = "likeliest" if about else None
    return {
        "conversation_id": conversation.pk,
        "contact_id": conversation.contact_id,
        "about_order_id": about.pk if about else None,
        "about_reason": about_reason,
        "orders": [order_payload(o) for o in orders],
    }


def orders_export(contact_ids: Sequence[int]) -> list[dict[str, Any]]:
    """A person's orders in their data export (chat.privacy's registry)."""
    return [order_payload(o) for o in orders_of(contact_ids)]
