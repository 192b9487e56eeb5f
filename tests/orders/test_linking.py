"""Orders meet contacts both ways, only through what the shop vouched for; export and erasure cover them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from chat.actions import (
    do_close,
    do_erase_contact,
    do_erase_expired_conversations,
    do_export_contact,
    do_set_contact_details,
)
from chat.models import Contact, Event, Operator, Reason
from connectors.widget.signing import sign_customer
from orders.actions import do_pick_conversation_order
from orders.models import Order, OrderStatusChange, ShopCustomer
from tests.orders.conftest import batch, customer, order

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def sign_in(visitor: str, customer_id: str = "C-1", email: str = "olga@example.com") -> Contact:
    """What the widget's session endpoint does for a signed customer."""
    return do_set_contact_details(
        connector="widget", sender_id=visitor, name="Olga", email=email, customer_id=customer_id, verified=True
    )


def test_orders_already_there_link_when_the_customer_signs_in(push: Callable[..., Any]) -> None:
    push(batch(order("A-1"), order("A-2")))
    assert not Order.objects.exclude(contact=None).exists()
    contact = sign_in("customer:C-1")
    assert set(Order.objects.filter(contact=contact).values_list("number", flat=True)) == {"A-1", "A-2"}


def test_an_order_arriving_for_a_known_contact_links_at_once(push: Callable[..., Any]) -> None:
    contact = sign_in("customer:C-1")
    push(batch(order("A-1")))
    assert Order.objects.get(number="A-1").contact_id == contact.pk


def test_a_vouched_for_email_links_a_guest_order_both_ways(push: Callable[..., Any]) -> None:
    guest = {**order("G-1", customer_id=None, email="OLGA@example.com"), "customer_id": None}
    push(batch(guest, customers=[]))
    contact = sign_in("customer:C-9", customer_id="C-9")
    assert Order.objects.get(number="G-1").contact_id == contact.pk
    push(batch({**guest, "number": "G-2"}, customers=[]))
    assert Order.objects.get(number="G-2").contact_id == contact.pk


def test_an_email_typed_into_the_offline_form_links_nothing(push: Callable[..., Any]) -> None:
    push(batch(order("A-1"), customers=[customer(email="olga@example.com")]))
    do_set_contact_details(connector="widget", sender_id="stranger", email="olga@example.com", customer_id="")
    stranger = Contact.objects.get(identities__external_id="stranger")
    assert not Order.objects.filter(contact=stranger).exists()
    push(batch(order("A-2"), customers=[customer(email="olga@example.com")]))
    assert not Order.objects.filter(contact=stranger).exists()


def test_a_shop_phone_links_by_its_digits(push: Callable[..., Any]) -> None:
    contact = do_set_contact_details(connector="widget", sender_id="v-p", phone="+7 (912) 000 00 01", verified=True)
    push(batch(order("A-1", customer_id="C-1"), customers=[customer(email="", phone="79120000001")]))
    assert Order.objects.get(number="A-1").contact_id == contact.pk


def test_the_export_carries_the_orders_and_erasure_removes_them(
    push: Callable[..., Any], make_operator: Callable[..., Operator], shopper_writes: Callable[..., Any], reason: Reason
) -> None:
    manager = make_operator("Maria", is_manager=True)
    contact = sign_in("customer:C-1")
    push(batch(order("A-1", status="shipped"), order("A-2")))
    chat = shopper_writes("customer:C-1").conversation
    exported = do_export_contact(contact_id=contact.pk, operator_id=manager.pk)
    assert sorted(o["number"] for o in exported["orders"]) == ["A-1", "A-2"]
    assert exported["orders"][0]["history"]

    do_set_contact_details(connector="widget", sender_id="someone-else", customer_id="C-2", verified=True)
    push(batch(order("B-1", customer_id="C-2"), customers=[customer("C-2", email="b@example.com")]))
    do_close(conversation_id=chat.pk, operator_id=manager.pk, reason_id=reason.pk)
    record = do_erase_contact(contact_id=contact.pk, operator_id=manager.pk)
    assert record.summary["orders"] == 2
    assert list(Order.objects.values_list("number", flat=True)) == ["B-1"]
    assert list(ShopCustomer.objects.values_list("customer_id", flat=True)) == ["C-2"]
    assert OrderStatusChange.objects.count() == 1
    # The shop's next push of that order finds no contact to link it to.
    push(batch(order("A-1"), customers=[customer()]))
    assert Order.objects.get(number="A-1").contact_id is None


def test_the_panel_shows_the_pick_or_the_likeliest_order(
    push: Callable[..., Any], make_operator: Callable[..., Operator], shopper_writes: Callable[..., Any]
) -> None:
    anna = make_operator("Anna")
    sign_in("customer:C-1")
    push(
        batch(
            order("OLD", status="delivered", placed_at="2026-10-01T10:00:00+00:00"),
            order("OPEN", status="shipped", placed_at="2026-11-01T10:00:00+00:00"),
            order("NEWEST", status="cancelled", placed_at="2026-11-25T10:00:00+00:00"),
        )
    )
    chat = shopper_writes("customer:C-1").conversation
    client = Client()
    client.force_login(anna.user)
    data = client.get(f"/api/conversations/{chat.pk}/orders").json()
    numbers = [o["number"] for o in data["orders"]]
    assert numbers == ["NEWEST", "OPEN", "OLD"]
    by_id = {o["id"]: o for o in data["orders"]}
    assert (by_id[data["about_order_id"]]["number"], data["about_reason"]) == ("OPEN", "likeliest")

    do_pick_conversation_order(
        conversation_id=chat.pk, order_id=Order.objects.get(number="OLD").pk, chosen_by="shopper"
    )
    data = client.get(f"/api/conversations/{chat.pk}/orders").json()
    assert (by_id[data["about_order_id"]]["number"], data["about_reason"]) == ("OLD", "shopper")
    old = next(o for o in data["orders"] if o["number"] == "OLD")
    assert [h["status"] for h in old["history"]] == ["delivered"]
    assert old["items"][0] == {
        "name": "Scarf",
        "quantity": 2,
        "price": "29.90",
        "image_url": "https://shop.example/s.jpg",
    }


def test_a_shopper_cannot_pick_someone_elses_order(
    push: Callable[..., Any], shopper_writes: Callable[..., Any]
) -> None:
    push(batch(order("A-1")))
    chat = shopper_writes("v-other").conversation
    with pytest.raises(Exception, match="No such order"):
        do_pick_conversation_order(
            conversation_id=chat.pk, order_id=Order.objects.get(number="A-1").pk, chosen_by="shopper"
        )


def test_a_signed_widget_sign_in_gets_its_orders_and_a_forged_one_none(push: Callable[..., Any], settings: Any) -> None:
    settings.WIDGET_CUSTOMER_SECRET = "shared-with-the-shop"
    push(batch(order("A-1", customer_id="42"), customers=[customer("42", email="anna@example.com")]))
    forged = {"id": "42", "name": "Anna", "email": "anna@example.com", "signature": "00" * 32}
    session = "/connectors/widget/session/"
    assert Client().post(session, json.dumps({"customer": forged}), "application/json").status_code == 403
    assert Order.objects.get(number="A-1").contact_id is None

    signed = {**forged, "signature": sign_customer("42", "Anna", "anna@example.com")}
    assert Client().post(session, json.dumps({"customer": signed}), "application/json").status_code == 200
    contact = Contact.objects.get(identities__external_id="customer:42")
    assert Order.objects.get(number="A-1").contact_id == contact.pk
    # The vouched-for email now links a guest order too.
    push(batch({"number": "G-1", "status": "placed", "email": "ANNA@example.com"}, customers=[]))
    assert Order.objects.get(number="G-1").contact_id == contact.pk


@pytest.mark.parametrize(
    ("status", "stage_time", "expected"),
    [
        ("placed", {"placed_at": "2026-11-01T10:00:00+00:00"}, "2026-11-01T10:00:00+00:00"),
        ("shipped", {"shipped_at": "2026-11-03T10:00:00+00:00"}, "2026-11-03T10:00:00+00:00"),
        ("delivered", {"delivered_at": "2026-11-05T10:00:00+00:00"}, "2026-11-05T10:00:00+00:00"),
        ("cancelled", {"status_changed_at": "2026-11-02T10:00:00+00:00"}, "2026-11-02T10:00:00+00:00"),
        ("return_requested", {"status_changed_at": "2026-11-09T10:00:00+00:00"}, "2026-11-09T10:00:00+00:00"),
    ],
)
def test_stage_since_is_the_time_the_current_stage_counts_from(
    push: Callable[..., Any], status: str, stage_time: dict[str, str], expected: str
) -> None:
    push(batch({"number": "S-1", "status": status, **stage_time}, customers=[]))
    assert Order.objects.get(number="S-1").stage_since().isoformat() == expected


def test_retention_that_anonymises_a_customer_erases_their_orders(
    push: Callable[..., Any],
    make_operator: Callable[..., Operator],
    shopper_writes: Callable[..., Any],
    reason: Reason,
    settings: Any,
) -> None:
    settings.SWITCHBOARD_RETENTION_DAYS = 30
    operator = make_operator("Maria", is_manager=True)
    sign_in("customer:C-1")
    push(batch(order("A-1")))
    chat = shopper_writes("customer:C-1").conversation
    do_close(conversation_id=chat.pk, operator_id=operator.pk, reason_id=reason.pk)
    record = do_erase_expired_conversations(at=timezone.now() + timedelta(days=31))
    assert record is not None and record.summary["orders"] == 1
    assert not Order.objects.exists()


def test_the_operator_holding_the_chat_says_which_order_it_is_about(
    push: Callable[..., Any], make_operator: Callable[..., Operator], shopper_writes: Callable[..., Any]
) -> None:
    from chat.actions import do_assign_waiting, do_set_operator_status

    anna, boris = make_operator("Anna"), make_operator("Boris")
    do_set_operator_status(operator_id=anna.pk, status="online")
    sign_in("customer:C-1")
    other = customer("C-2", email="boris@example.com", phone="")
    push(batch(order("A-1"), order("A-2", customer_id="C-2"), customers=[customer(), other]))
    chat = shopper_writes("customer:C-1").conversation
    do_assign_waiting()  # what runs after the commit (this test's transaction never commits)
    mine, theirs = Order.objects.get(number="A-1"), Order.objects.get(number="A-2")
    as_anna, as_boris = Client(), Client()
    as_anna.force_login(anna.user)
    as_boris.force_login(boris.user)
    url = f"/api/conversations/{chat.pk}/orders/{{}}/about"
    assert as_boris.post(url.format(mine.pk)).status_code == 403  # not his chat
    refused = as_anna.post(url.format(theirs.pk))
    assert refused.status_code == 404, refused.content  # not this customer's order
    answer = as_anna.post(url.format(mine.pk))
    assert answer.status_code == 200
    assert (answer.json()["about_order_id"], answer.json()["about_reason"]) == (mine.pk, "operator")


def test_a_push_for_a_customer_with_an_open_chat_tells_the_operators_showing_it(
    push: Callable[..., Any], make_operator: Callable[..., Operator], shopper_writes: Callable[..., Any]
) -> None:
    sign_in("customer:C-1")
    chat = shopper_writes("customer:C-1").conversation
    other = shopper_writes("someone-else").conversation
    assert chat.operator_id is None  # nobody online: the chat waits in the queue, shown to the staff

    def told() -> list[tuple[str, dict[str, Any]]]:
        return [(e.audience, e.payload) for e in Event.objects.filter(kind="order.updated").order_by("id")]

    push(batch(order("A-1", status="paid")))
    assert told() == [("staff", {"conversation_id": chat.pk, "contact_id": chat.contact_id})]
    push(batch(order("A-1", status="paid")))  # the same again: nothing changed, nobody told
    assert len(told()) == 1
    push(batch(order("A-1", status="shipped", promised_delivery_at="2026-12-05T18:00:00+00:00")))
    assert len(told()) == 2
    assert other.pk not in {payload["conversation_id"] for _audience, payload in told()}
    do_close(conversation_id=chat.pk, by="system")
    push(batch(order("A-1", status="delivered")))  # the chat is closed: no open panel to refresh
    assert len(told()) == 2
