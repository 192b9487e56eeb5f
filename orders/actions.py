"""Every write of the orders app: keys, batches of customers and orders, links to contacts, erasure.

A batch is checked whole before anything is written (:func:`check_batch`), then written in one
transaction: a shop never finds half a batch stored. Upserts are by order number and idempotent:
the same batch twice changes nothing and adds no status history.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from chat import events
from chat.actions._common import retry_on_conflict
from chat.errors import InvalidInput, NotFound
from chat.models import Contact, Conversation, ConversationState
from chat.privacy import ErasureScope
from chat.verified import VerifiedDetails
from orders import keys
from orders.models import (
    ConversationOrder,
    Order,
    OrderItem,
    OrderStatus,
    OrderStatusChange,
    ShopApiKey,
    ShopCustomer,
    VerifiedContactDetail,
)
from orders.schemas import BatchIn, CustomerIn, FieldError, ItemIn, OrderIn
from orders.selectors import family_of

# A key's "last used" time is written at most this often (not on every request).
KEY_TOUCH_EVERY = timedelta(minutes=1)


class InvalidBatch(InvalidInput):
    """A batch refused whole: ``errors`` says what is wrong, field by field."""

    code = "invalid_batch"
    status = 422

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__(
            _("The batch was not stored: %(count)d problem(s), listed in fields.") % {"count": len(errors)}
        )


@dataclass
class BatchResult:
    customers_created: int = 0
    customers_updated: int = 0
    orders_created: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    # number -> "created" / "updated" / "unchanged"
    orders: dict[str, str] = field(default_factory=dict)


def email_key(value: str | None) -> str:
    return (value or "").strip().lower()


def phone_key(value: str | None) -> str:
    """The digits of a phone, or "" when too few to name anyone (so "+7" links nobody)."""
    digits = re.sub(r"\D", "", value or "")
    return digits if len(digits) >= 7 else ""


# --- keys --------------------------------------------------------------------------------------------


def do_create_shop_api_key(*, name: str) -> tuple[ShopApiKey, str]:
    """A new key for a shop: the row, and the key itself (shown once; only its hash is stored)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput(_("Give the key a name of 1 to 100 characters."))
    key, prefix, digest = keys.new_key()
    return ShopApiKey.objects.create(name=name, prefix=prefix, key_hash=digest), key


def do_revoke_shop_api_key(*, key_id: int) -> ShopApiKey:
    """The key stops working at once; revoking it again changes nothing."""
    ShopApiKey.objects.filter(pk=key_id, revoked_at__isnull=True).update(revoked_at=timezone.now())
    row = ShopApiKey.objects.filter(pk=key_id).first()
    if row is None:
        raise NotFound(_("No such key."))
    return row


def do_touch_shop_api_key(key: ShopApiKey) -> None:
    at = timezone.now()
    if key.last_used_at is None or at - key.last_used_at > KEY_TOUCH_EVERY:
        ShopApiKey.objects.filter(pk=key.pk).update(last_used_at=at)


# --- batches -----------------------------------------------------------------------------------------


def check_batch(batch: BatchIn) -> None:
    """What the schema cannot see: numbers twice in one batch, orders for customers nobody sent."""
    errors: list[FieldError] = []
    seen_customers: dict[str, int] = {}
    for i, customer in enumerate(batch.customers):
        if customer.id in seen_customers:
            errors.append(
                FieldError(
                    f"customers[{i}].id",
                    _("Customer %(id)s is already in this batch (customers[%(first)d]).")
                    % {"id": customer.id, "first": seen_customers[customer.id]},
                )
            )
        seen_customers.setdefault(customer.id, i)
    seen_orders: dict[str, int] = {}
    for i, order in enumerate(batch.orders):
        if order.number in seen_orders:
            errors.append(
                FieldError(
                    f"orders[{i}].number",
                    _("Order %(number)s is already in this batch (orders[%(first)d]).")
                    % {"number": order.number, "first": seen_orders[order.number]},
                )
            )
        seen_orders.setdefault(order.number, i)
    wanted = {o.customer_id for o in batch.orders if o.customer_id} - set(seen_customers)
    known = set(ShopCustomer.objects.filter(customer_id__in=wanted).values_list("customer_id", flat=True))
    for i, order in enumerate(batch.orders):
        if order.customer_id and order.customer_id in wanted - known:
            errors.append(
                FieldError(
                    f"orders[{i}].customer_id",
                    _("Unknown customer %(id)s: send the customer first, or in the same batch.")
                    % {"id": order.customer_id},
                )
            )
    if errors:
        raise InvalidBatch(errors)


def do_upsert_batch(
    batch: BatchIn, *, received_at: datetime | None = None, progress: Callable[[int], object] | None = None
) -> BatchResult:
    """Store a checked batch: customers first, then orders (by number), in one transaction.
    ``progress(n)`` is told of every ``n`` orders written (the CSV import's progress bar).

    Two batches creating the same new number at once: one insert hits the unique number, its
    transaction rolls back whole, and the rerun finds the row and updates it."""
    check_batch(batch)
    at = received_at or timezone.now()
    for attempt in range(3):
        try:
            return _store_batch(batch, at, progress)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@retry_on_conflict
def _store_batch(batch: BatchIn, at: datetime, progress: Callable[[int], object] | None) -> BatchResult:
    result = BatchResult()
    with transaction.atomic():
        customers = {
            c.customer_id: c
            for c in ShopCustomer.objects.select_for_update().filter(
                customer_id__in={c.id for c in batch.customers} | {o.customer_id for o in batch.orders if o.customer_id}
            )
        }
        for given_customer in batch.customers:
            customers[given_customer.id] = _upsert_customer(given_customer, customers.get(given_customer.id), result)
        existing = {
            o.number: o
            for o in Order.objects.select_for_update()
            .filter(number__in=[o.number for o in batch.orders])
            .prefetch_related("items")
        }
        writes = _Writes(linker=_Linker())
        for given in batch.orders:
            customer = customers.get(given.customer_id or "")
            outcome = _upsert_order(given, existing.get(given.number), customer, at, writes)
            result.orders[given.number] = outcome
            setattr(result, f"orders_{outcome}", getattr(result, f"orders_{outcome}") + 1)
            if progress is not None:
                progress(1)
        writes.flush()
        changed = {o.contact_id for o in writes.created}
        changed |= {existing[n].contact_id for n, outcome in result.orders.items() if outcome == "updated"}
        _tell_open_chats({c for c in changed if c is not None})
    return result


def _tell_open_chats(contact_ids: set[int]) -> None:
    """Operators with a chat of these customers open see their orders panel refresh (``order.updated``,
    after commit): an order the shop pushed mid-chat is there without a reload."""
    if not contact_ids:
        return
    chats = (
        Conversation.objects.filter(Q(contact_id__in=contact_ids) | Q(contact__merged_into_id__in=contact_ids))
        .exclude(state=ConversationState.CLOSED)
        .values_list("pk", "contact_id", "operator_id")
    )
    events.emit_all(
        [
            (
                "order.updated",
                {"conversation_id": pk, "contact_id": contact_id},
                [events.operator_group(operator_id) if operator_id else events.STAFF],
            )
            for pk, contact_id, operator_id in chats
        ]
    )


def _upsert_customer(given: CustomerIn, stored: ShopCustomer | None, result: BatchResult) -> ShopCustomer:
    values = {
        "name": given.name,
        "email": given.email,
        "phone": given.phone,
        "email_key": email_key(given.email),
        "phone_key": phone_key(given.phone),
    }
    if stored is None:
        result.customers_created += 1
        return ShopCustomer.objects.create(customer_id=given.id, **values)
    if any(getattr(stored, k) != v for k, v in values.items()):
        ShopCustomer.objects.filter(pk=stored.pk).update(**values, updated_at=timezone.now())
        for k, v in values.items():
            setattr(stored, k, v)
        result.customers_updated += 1
    return stored


STAGE_TIMES = {
    OrderStatus.PLACED: "placed_at",
    OrderStatus.PAID: "paid_at",
    OrderStatus.SHIPPED: "shipped_at",
    OrderStatus.DELIVERED: "delivered_at",
}
PLAIN_FIELDS = (
    "customer_id",
    "email",
    "phone",
    "currency",
    "total",
    "placed_at",
    "paid_at",
    "shipped_at",
    "delivered_at",
    "promised_delivery_at",
    "carrier",
    "tracking_number",
    "tracking_url",
    "delivery_address",
)


def _status_time(given: OrderIn, at: datetime) -> datetime:
    stage = STAGE_TIMES.get(given.status)
    return given.status_changed_at or (getattr(given, stage) if stage else None) or at


def _item_rows(items: Iterable[ItemIn]) -> list[tuple[str, int, Any, str]]:
    return [(i.name, i.quantity, i.price, i.image_url) for i in items]


@dataclass
class _Writes:
    """What a batch's orders add, written in a few bulk statements at the end instead of per order."""

    linker: _Linker
    created: list[Order] = field(default_factory=list)
    items: list[OrderItem] = field(default_factory=list)
    history: list[OrderStatusChange] = field(default_factory=list)
    replaced: list[int] = field(default_factory=list)

    def add_items(self, order: Order, items: Sequence[ItemIn]) -> None:
        self.items += [
            OrderItem(order=order, position=n, name=i.name, quantity=i.quantity, price=i.price, image_url=i.image_url)
            for n, i in enumerate(items)
        ]

    def flush(self) -> None:
        Order.objects.bulk_create(self.created, batch_size=500)
        OrderItem.objects.filter(order_id__in=self.replaced).delete()
        OrderItem.objects.bulk_create(self.items, batch_size=500)
        OrderStatusChange.objects.bulk_create(self.history, batch_size=500)


def _upsert_order(
    given: OrderIn, stored: Order | None, customer: ShopCustomer | None, at: datetime, writes: _Writes
) -> str:
    """Create or update one order; "created", "updated" or "unchanged"."""
    values: dict[str, Any] = {
        name: getattr(given, name)
        for name in PLAIN_FIELDS
        if name in given.model_fields_set and getattr(given, name) is not None
    }
    if "customer_id" in values:
        values["shop_customer_id"] = customer.pk if customer else None
    for name in ("email", "phone"):
        if name in values:
            values[f"{name}_key"] = (email_key if name == "email" else phone_key)(values[name])
    if stored is None:
        order = Order(number=given.number, status=given.status, status_changed_at=_status_time(given, at), **values)
        contact = writes.linker.contact_for(order, customer)
        order.contact_id = contact.pk if contact else None
        writes.created.append(order)
        writes.history.append(OrderStatusChange(order=order, status=given.status, at=order.status_changed_at))
        writes.add_items(order, given.items or [])
        return "created"
    changed = {k: v for k, v in values.items() if getattr(stored, k) != v}
    if given.status != stored.status:
        changed["status"] = given.status
        changed["status_changed_at"] = _status_time(given, at)
        writes.history.append(OrderStatusChange(order=stored, status=given.status, at=changed["status_changed_at"]))
    items_changed = given.items is not None and _item_rows(given.items) != [
        (i.name, i.quantity, i.price, i.image_url) for i in stored.items.all()
    ]
    if items_changed:
        writes.replaced.append(stored.pk)
        writes.add_items(stored, given.items or [])
    for k, v in changed.items():
        setattr(stored, k, v)
    if stored.contact_id is None or {"customer_id", "email", "phone"} & set(changed):
        contact = writes.linker.contact_for(stored, customer if "customer_id" in values else stored.shop_customer)
        if contact is not None and contact.pk != stored.contact_id:
            changed["contact_id"] = stored.contact_id = contact.pk
    if changed:
        Order.objects.filter(pk=stored.pk).update(**changed, updated_at=timezone.now())
    return "updated" if changed.keys() - {"contact_id"} or items_changed else "unchanged"


# --- links to contacts -------------------------------------------------------------------------------


def _live(contact_id: int | None) -> Contact | None:
    """The contact a (possibly merged) contact lives on now, unless erased."""
    contact = Contact.objects.filter(pk=contact_id).first() if contact_id else None
    while contact is not None and contact.merged_into_id:
        contact = Contact.objects.filter(pk=contact.merged_into_id).first()
    return contact if contact is not None and contact.erased_at is None else None


class _Linker:
    """Who an order belongs to among our contacts: the shop's customer id (vouched for by a signed
    widget sign-in), else an email or phone the shop vouched for on a contact. Lookups are kept for
    the batch: its orders share a few customers."""

    def __init__(self) -> None:
        self._by_customer_id: dict[str, Contact | None] = {}
        self._by_detail: dict[tuple[str, str], Contact | None] = {}

    def _customer(self, customer_id: str) -> Contact | None:
        if customer_id not in self._by_customer_id:
            found = Contact.objects.filter(customer_id=customer_id, erased_at__isnull=True).order_by("id").first()
            self._by_customer_id[customer_id] = _live(found.pk) if found else None
        return self._by_customer_id[customer_id]

    def _detail(self, kind: str, key: str) -> Contact | None:
        if (kind, key) not in self._by_detail:
            detail = VerifiedContactDetail.objects.filter(kind=kind, key=key).order_by("id").first()
            self._by_detail[kind, key] = _live(detail.contact_id) if detail else None
        return self._by_detail[kind, key]

    def contact_for(self, order: Order, customer: ShopCustomer | None) -> Contact | None:
        if order.customer_id and (contact := self._customer(order.customer_id)) is not None:
            return contact
        for kind, keys_ in (
            (VerifiedContactDetail.Kind.EMAIL, (order.email_key, customer.email_key if customer else "")),
            (VerifiedContactDetail.Kind.PHONE, (order.phone_key, customer.phone_key if customer else "")),
        ):
            for key in keys_:
                if key and (contact := self._detail(kind, key)) is not None:
                    return contact
        return None


def do_link_verified_contact(details: VerifiedDetails) -> int:
    """A contact the shop vouched for (e.g. a widget sign-in) gets the orders waiting for them:
    by the shop's customer id, or by the vouched-for email or phone. Returns how many were linked."""
    contact = _live(details.contact_id)
    if contact is None:
        return 0
    email, phone = email_key(details.email), phone_key(details.phone)
    with transaction.atomic():
        for kind, key in ((VerifiedContactDetail.Kind.EMAIL, email), (VerifiedContactDetail.Kind.PHONE, phone)):
            if key:
                VerifiedContactDetail.objects.get_or_create(contact=contact, kind=kind, key=key)
        match = Q(pk__in=[])
        if details.customer_id:
            match |= Q(customer_id=details.customer_id)
        if email:
            match |= Q(email_key=email) | Q(shop_customer__email_key=email)
        if phone:
            match |= Q(phone_key=phone) | Q(shop_customer__phone_key=phone)
        ids = list(Order.objects.filter(match, contact__isnull=True).values_list("pk", flat=True))
        return Order.objects.filter(pk__in=ids).update(contact=contact)


def do_pick_conversation_order(*, conversation_id: int, order_id: int, chosen_by: str) -> ConversationOrder:
    """Remember which order a chat is about (the shopper's pick, or an operator's); it must be theirs."""
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFound(_("No such conversation."))
    order = Order.objects.filter(pk=order_id, contact_id__in=family_of(conversation.contact_id)).first()
    if order is None:
        raise NotFound(_("No such order for this customer."))
    if chosen_by not in ConversationOrder.ChosenBy.values:
        raise InvalidInput(_("Who chose the order?"))
    picked, _created = ConversationOrder.objects.update_or_create(
        conversation=conversation, defaults={"order": order, "chosen_by": chosen_by}
    )
    return picked


# --- privacy -----------------------------------------------------------------------------------------


def erase_orders_of(scope: ErasureScope) -> int:
    """The erased person's orders go, with their items, history and the shop's customer records
    that named them; runs inside the erasure's transaction (chat.privacy's registry)."""
    orders = Order.objects.filter(contact_id__in=scope.contact_ids)
    customer_ids = set(orders.exclude(customer_id="").values_list("customer_id", flat=True))
    count = orders.count()
    orders.delete()
    ShopCustomer.objects.filter(customer_id__in=customer_ids).delete()
    VerifiedContactDetail.objects.filter(contact_id__in=scope.contact_ids).delete()
    return count
