"""Merging a customer's identities: by each verified key, by hand, undone exactly, and never on an
unverified key."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from chat import merging
from chat.actions import (
    InboundMessage,
    do_add_contact_note,
    do_merge_contacts,
    do_receive_inbound,
    do_set_contact_details,
    do_undo_merge,
)
from chat.actions.contacts import contact_fk_mover
from chat.errors import Forbidden, InvalidInput, WrongState
from chat.models import Contact, ContactMerge, DataAuditRecord, Identity, MergeKind, Operator
from connectors.widget.signing import issue_token, sign_customer
from tests.people.conftest import snapshot

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


def contact_of(connector: str, sender: str) -> Contact:
    return Identity.objects.get(connector=connector, external_id=sender).contact


def write(connector: str, sender: str, text: str = "hello", **kwargs: Any) -> Contact:
    do_receive_inbound(InboundMessage(connector=connector, sender_id=sender, text=text, **kwargs))
    return contact_of(connector, sender)


def signed_session(client: Client, customer_id: str, email: str, token: str | None = None) -> dict[str, Any]:
    signature = sign_customer(customer_id, "Anna", email)
    customer = {"id": customer_id, "name": "Anna", "email": email, "signature": signature}
    response = client.post(
        "/connectors/widget/session/", json.dumps({"customer": customer, "token": token}), "application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def shop_secret(settings: Any) -> None:
    settings.WIDGET_CUSTOMER_SECRET = "shop-secret"


def test_the_shops_customer_id_merges_a_contact_that_holds_it(queues: Any, shop_secret: None) -> None:
    # A contact the shop already vouched for (e.g. through its API), then the same customer in the widget.
    telegram = write("telegram", "501", "where is my order?")
    do_set_contact_details(connector="telegram", sender_id="501", customer_id="C-42")
    signed_session(Client(), "C-42", "anna@example.com")
    widget = contact_of("widget", "customer:C-42")
    assert widget.pk == telegram.pk  # one contact: the widget identity moved into the older one
    merge = ContactMerge.objects.get()
    assert (merge.kind, merge.key, merge.target_id) == (MergeKind.AUTOMATIC, "customer_id", telegram.pk)
    telegram.refresh_from_db()
    assert (telegram.email, telegram.email_verified) == ("anna@example.com", True)


def test_a_verified_email_merges_and_an_unverified_one_does_not(queues: Any, shop_secret: None) -> None:
    visitor = write("widget", "v-1")
    do_set_contact_details(connector="widget", sender_id="v-1", email="Anna@Example.com")  # typed in a form
    signed_session(Client(), "C-7", "anna@example.com")
    assert ContactMerge.objects.count() == 0, "an email someone typed proves nothing"
    write("vk", "9001")
    do_set_contact_details(connector="vk", sender_id="9001", email="anna@example.com", verified=True)
    merge = ContactMerge.objects.get()
    assert merge.key == "email"
    assert contact_of("vk", "9001").pk == contact_of("widget", "customer:C-7").pk
    assert contact_of("widget", "v-1").pk == visitor.pk != merge.target_id


def test_a_phone_telegram_confirmed_merges_with_the_same_verified_phone(queues: Any) -> None:
    shop = write("vk", "77")
    do_set_contact_details(connector="vk", sender_id="77", phone="+7 (916) 123-45-67", verified=True)
    telegram = write("telegram", "601")
    do_set_contact_details(connector="telegram", sender_id="601", phone="79161234567", verified=True)
    merge = ContactMerge.objects.get()
    assert (merge.key, merge.source_id, merge.target_id) == ("phone", telegram.pk, shop.pk)
    assert contact_of("telegram", "601").pk == shop.pk


def test_two_customers_of_the_shop_are_never_merged_on_an_email(queues: Any, shop_secret: None) -> None:
    signed_session(Client(), "C-1", "family@example.com")
    signed_session(Client(), "C-2", "family@example.com")
    assert ContactMerge.objects.count() == 0
    assert contact_of("widget", "customer:C-1").pk != contact_of("widget", "customer:C-2").pk


def test_an_anonymous_visitor_who_signs_in_becomes_the_customer(queues: Any, shop_secret: None) -> None:
    client = Client()
    anonymous = client.post("/connectors/widget/session/", "{}", "application/json").json()
    write("widget", anonymous["visitor_id"], "is this in stock?")
    signed_session(client, "C-9", "c9@example.com", token=anonymous["token"])
    customer = contact_of("widget", "customer:C-9")
    assert contact_of("widget", anonymous["visitor_id"]).pk == customer.pk
    assert customer.conversations.count() == 1
    assert ContactMerge.objects.get().key == "signed_visitor"


def test_a_forged_visitor_token_merges_nothing(queues: Any, shop_secret: None) -> None:
    write("widget", "v-victim", "my address is ...")
    signed_session(Client(), "C-3", "c3@example.com", token=issue_token("v-victim")[:-4] + "AAAA")
    assert ContactMerge.objects.count() == 0


def test_manual_merge_and_undo_restore_exactly(
    queues: Any, make_operator: Callable[..., Operator], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another app's rows, through the registry: audit records stand in for an app's contact rows.
    audit = contact_fk_mover(DataAuditRecord)
    monkeypatch.setattr(merging, "_movers", {**merging.movers(), "other_app": audit})
    anna = make_operator("Anna")
    telegram = write("telegram", "700", "hi", sender_name="Olga", identity_details={"username": "olga"})
    widget = write("widget", "v-700", "hi again")
    Contact.objects.filter(pk=widget.pk).update(email="olga@example.com", language="ru")
    DataAuditRecord.objects.create(kind="export", contact=widget, actor_name="x", summary={}, at=timezone.now())
    do_add_contact_note(contact_id=widget.pk, operator_id=anna.pk, text="prefers calls")
    tombstone = write("vk", "700")
    do_merge_contacts(source_id=tombstone.pk, target_id=widget.pk, operator_id=anna.pk)
    before = snapshot()

    merge = do_merge_contacts(source_id=widget.pk, target_id=telegram.pk, operator_id=anna.pk)
    merged = snapshot()
    assert merged != before
    telegram.refresh_from_db()
    assert (telegram.name, telegram.email, telegram.language) == ("Olga", "olga@example.com", "ru")
    assert set(telegram.identities.values_list("connector", flat=True)) == {"telegram", "widget", "vk"}
    assert telegram.conversations.count() == 3 and telegram.notes.count() == 1
    assert DataAuditRecord.objects.get().contact_id == telegram.pk
    assert Contact.objects.get(pk=tombstone.pk).merged_into_id == telegram.pk  # one level deep

    do_undo_merge(merge_id=merge.pk, operator_id=anna.pk)
    assert snapshot() == before
    assert DataAuditRecord.objects.get().contact_id == widget.pk
    with pytest.raises(WrongState):
        do_undo_merge(merge_id=merge.pk, operator_id=anna.pk)


def test_who_may_undo(queues: Any, make_operator: Callable[..., Operator]) -> None:
    anna, boris, maria = make_operator("Anna"), make_operator("Boris"), make_operator("Maria", is_manager=True)
    one, two = write("widget", "v-a"), write("widget", "v-b")
    merge = do_merge_contacts(source_id=one.pk, target_id=two.pk, operator_id=anna.pk)
    before = snapshot()
    with pytest.raises(Forbidden):
        do_undo_merge(merge_id=merge.pk, operator_id=boris.pk)
    assert snapshot() == before
    do_undo_merge(merge_id=merge.pk, operator_id=maria.pk)
    assert contact_of("widget", "v-a").pk == one.pk


def test_an_undone_automatic_merge_is_not_redone(queues: Any, make_operator: Callable[..., Operator]) -> None:
    maria = make_operator("Maria", is_manager=True)
    write("vk", "1")
    do_set_contact_details(connector="vk", sender_id="1", email="same@example.com", verified=True)
    write("vk", "2")
    do_set_contact_details(connector="vk", sender_id="2", email="same@example.com", verified=True)
    merge = ContactMerge.objects.get()
    do_undo_merge(merge_id=merge.pk, operator_id=maria.pk)
    do_set_contact_details(connector="vk", sender_id="2", email="same@example.com", verified=True)
    assert ContactMerge.objects.count() == 1
    assert contact_of("vk", "1").pk != contact_of("vk", "2").pk


def test_refused_merges_change_nothing(queues: Any, make_operator: Callable[..., Operator]) -> None:
    anna = make_operator("Anna")
    one, two = write("widget", "v-x"), write("widget", "v-y")
    before = snapshot()
    with pytest.raises(InvalidInput):
        do_merge_contacts(source_id=one.pk, target_id=one.pk, operator_id=anna.pk)
    Contact.objects.filter(pk=two.pk).update(erased_at="2026-01-01T00:00:00Z")
    before = snapshot()
    with pytest.raises(WrongState):
        do_merge_contacts(source_id=one.pk, target_id=two.pk, operator_id=anna.pk)
    assert snapshot() == before


def test_a_shopper_writing_after_the_merge_lands_on_the_merged_contact(
    queues: Any, make_operator: Callable[..., Operator]
) -> None:
    anna = make_operator("Anna")
    source, target = write("telegram", "800"), write("vk", "800")
    do_merge_contacts(source_id=source.pk, target_id=target.pk, operator_id=anna.pk)
    received = do_receive_inbound(InboundMessage(connector="telegram", sender_id="800", text="me again"))
    assert received.conversation.contact_id == target.pk
    assert not received.new_conversation  # their open chat moved with them


def test_notes_and_merges_go_with_an_erasure_and_come_with_an_export(
    queues: Any, make_operator: Callable[..., Operator], reason: Any
) -> None:
    from chat.actions import do_close, do_erase_contact, do_export_contact, do_set_operator_status
    from chat.models import ContactNote

    anna, maria = make_operator("Anna"), make_operator("Maria", is_manager=True)
    do_set_operator_status(operator_id=anna.pk, status="online")
    one, two = write("widget", "v-p1"), write("vk", "55")
    do_merge_contacts(source_id=two.pk, target_id=one.pk, operator_id=anna.pk)
    do_add_contact_note(contact_id=one.pk, operator_id=anna.pk, text="lives at 5 Elm St")
    exported = do_export_contact(contact_id=one.pk, operator_id=maria.pk)
    assert [note["text"] for note in exported["notes"]] == ["lives at 5 Elm St"]
    for conversation in one.conversations.all():
        do_close(conversation_id=conversation.pk, operator_id=anna.pk, reason_id=reason.pk)
    do_erase_contact(contact_id=one.pk, operator_id=maria.pk)
    assert not ContactNote.objects.exists()
    assert not ContactMerge.objects.exists()


def test_a_customers_orders_follow_the_merge_and_its_undo(queues: Any, make_operator: Callable[..., Operator]) -> None:
    from orders.models import Order

    anna = make_operator("Anna")
    source, target = write("widget", "v-ord"), write("telegram", "777")
    order = Order.objects.create(number="A-1", status="paid", status_changed_at=timezone.now(), contact=source)
    merge = do_merge_contacts(source_id=source.pk, target_id=target.pk, operator_id=anna.pk)
    assert Order.objects.get(pk=order.pk).contact_id == target.pk
    do_undo_merge(merge_id=merge.pk, operator_id=anna.pk)
    assert Order.objects.get(pk=order.pk).contact_id == source.pk
