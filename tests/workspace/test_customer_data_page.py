"""The managers' Customer data page: found by email or phone, erased only when confirmed, managers only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from chat.actions import InboundMessage, do_close, do_erase_contact, do_receive_inbound, do_set_contact_details
from chat.models import Contact, DataAuditRecord, Message, Operator

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

TEXT = "Мой адрес: Ленина, 5"


@pytest.fixture
def contact(queues: object) -> Contact:
    received = do_receive_inbound(InboundMessage(connector="widget", sender_id="v-page", text=TEXT))
    do_close(conversation_id=received.conversation.pk, by="shopper")
    return do_set_contact_details(
        connector="widget", sender_id="v-page", name="Ирина", email="irina@example.com", phone="+7 900 123-45-67"
    )


def shopper_text() -> str:
    return Message.objects.get(author_kind="shopper").text


def signed_in(operator: Operator) -> Client:
    client = Client()
    client.force_login(operator.user)
    return client


@pytest.mark.parametrize("query", ["irina@example.com", "IRINA@example.com", "123-45", "Ирина", "v-page"])
def test_a_manager_finds_the_customer_by_what_a_request_names(
    contact: Contact, make_operator: Callable[..., Operator], query: str
) -> None:
    page = signed_in(make_operator("Maria", is_manager=True)).get("/workspace/dashboards/customers/", {"q": query})
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-contact-id="{contact.pk}"' in html
    assert f'href="/api/contacts/{contact.pk}/export"' in html


def test_erasing_without_the_confirmation_erases_nothing_and_says_why(
    contact: Contact, make_operator: Callable[..., Operator]
) -> None:
    client = signed_in(make_operator("Maria", is_manager=True))
    response = client.post(f"/workspace/dashboards/customers/{contact.pk}/erase/", {"q": "irina"}, follow=True)
    assert "Tick the confirmation" in response.content.decode()
    assert shopper_text() == TEXT
    assert not DataAuditRecord.objects.exists()
    response = client.post(f"/workspace/dashboards/customers/{contact.pk}/erase/", {"confirm": "yes"}, follow=True)
    assert f"Customer #{contact.pk}: their data was erased." in response.content.decode()
    assert set(Message.objects.values_list("text", flat=True)) == {""}


def test_operators_get_neither_the_page_nor_the_erasure(
    contact: Contact, make_operator: Callable[..., Operator]
) -> None:
    client = signed_in(make_operator("Anna"))
    assert client.get("/workspace/dashboards/customers/", {"q": "irina@example.com"}).status_code == 403
    assert client.post(f"/workspace/dashboards/customers/{contact.pk}/erase/", {"confirm": "yes"}).status_code == 403
    assert Client().get("/workspace/dashboards/customers/").status_code == 302  # to the sign-in page
    assert shopper_text() == TEXT


def test_the_records_are_read_only_in_the_admin(contact: Contact, make_operator: Callable[..., Operator]) -> None:
    manager = make_operator("Maria", is_manager=True)
    record = do_erase_contact(contact_id=contact.pk, operator_id=manager.pk)
    admin = Client()
    admin.force_login(type(manager.user).objects.create_superuser("root", "root@example.com", "pw-123456"))
    assert admin.get("/admin/chat/dataauditrecord/").status_code == 200
    assert admin.get(f"/admin/chat/dataauditrecord/{record.pk}/delete/").status_code == 403
    assert admin.post(f"/admin/chat/dataauditrecord/{record.pk}/change/", {"actor_name": "x"}).status_code == 403
    assert DataAuditRecord.objects.get().actor_name == manager.user.username
