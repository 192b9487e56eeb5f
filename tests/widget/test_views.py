"""The widget's HTTP endpoints: visitor tokens, signed customers, who is online, the offline form."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from chat.actions import do_set_operator_status
from chat.models import Contact, Conversation, Message, Operator
from connectors.widget.signing import issue_token, read_token, sign_customer

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def post(path: str, body: Any) -> Any:
    return Client().post(f"/connectors/widget/{path}", data=json.dumps(body), content_type="application/json")


def test_a_new_visitor_gets_a_token_and_a_valid_one_is_kept() -> None:
    first = post("session/", {}).json()
    assert read_token(first["token"]) == first["visitor_id"]

    again = post("session/", {"token": first["token"]}).json()
    assert again["visitor_id"] == first["visitor_id"]

    forged = post("session/", {"token": first["token"][:-3] + "abc"}).json()
    assert forged["visitor_id"] != first["visitor_id"]


def test_a_signed_customer_links_the_chat_to_the_shops_customer(settings: Any) -> None:
    settings.WIDGET_CUSTOMER_SECRET = "shared-with-the-shop"
    signature = sign_customer("42", "Anna Petrova", "anna@example.com")
    customer = {"id": "42", "name": "Anna Petrova", "email": "anna@example.com", "signature": signature}

    answer = post("session/", {"customer": customer})

    assert answer.status_code == 200
    assert answer.json()["visitor_id"] == "customer:42"
    contact = Contact.objects.get(identities__external_id="customer:42")
    assert (contact.customer_id, contact.name, contact.email) == ("42", "Anna Petrova", "anna@example.com")


@pytest.mark.parametrize(
    "change", [{"id": "43"}, {"email": "mallory@example.com"}, {"signature": "00" * 32}, {"signature": 5}]
)
def test_a_tampered_customer_is_refused_and_nothing_stored(settings: Any, change: dict[str, Any]) -> None:
    settings.WIDGET_CUSTOMER_SECRET = "shared-with-the-shop"
    customer = {"id": "42", "name": "Anna", "email": "anna@example.com"}
    customer["signature"] = sign_customer("42", "Anna", "anna@example.com")
    customer.update(change)

    answer = post("session/", {"customer": customer})

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "invalid_token"
    assert not Contact.objects.exists()


def test_malformed_bodies_get_a_clear_error() -> None:
    answer = Client().post("/connectors/widget/session/", data="{oops", content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "malformed"


def test_status_says_whether_anyone_serves_the_queue(make_operator: Callable[..., Operator]) -> None:
    assert Client().get("/connectors/widget/status/").json()["online"] is False
    operator = make_operator("Anna")
    do_set_operator_status(operator_id=operator.pk, status="online")
    assert Client().get("/connectors/widget/status/").json()["online"] is True


def test_the_offline_form_becomes_an_offline_conversation_with_the_contact_kept(queues: Any) -> None:
    token = issue_token("visitor-offline")
    form = {
        "token": token,
        "name": "Ivan",
        "email": "ivan@example.com",
        "text": "<b>Do you ship to Kazan?</b>",
        "client_id": "form-1",
    }

    first = post("offline/", form)
    again = post("offline/", form)  # a double click stores nothing new

    assert (first.status_code, again.status_code) == (201, 200)
    conversation = Conversation.objects.get(pk=first.json()["conversation_id"])
    assert conversation.is_offline
    assert conversation.state == "queued"
    assert list(Message.objects.values_list("text", flat=True)) == ["<b>Do you ship to Kazan?</b>"]
    assert (conversation.contact.name, conversation.contact.email) == ("Ivan", "ivan@example.com")


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"name": "Ivan", "text": "hi"}, "invalid_input"),
        ({"email": "not-an-email", "text": "hi"}, "invalid_input"),
        ({"phone": "+7 900 000 00 00", "text": ""}, "invalid_input"),
        ({"phone": "+7 900 000 00 00", "text": "x" * 4097}, "invalid_input"),
    ],
)
def test_a_bad_offline_form_is_refused_and_nothing_stored(queues: Any, form: dict[str, Any], code: str) -> None:
    answer = post("offline/", {"token": issue_token("visitor-offline"), **form})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == code
    assert not Conversation.objects.exists()
    assert not Contact.objects.exists()


def test_the_offline_form_needs_a_genuine_token(queues: Any) -> None:
    answer = post("offline/", {"token": "forged", "phone": "1", "text": "hi"})
    assert answer.status_code == 403
    assert not Conversation.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_offline_form_refused_halfway_leaves_no_contact_behind() -> None:
    """Contact details, the chat and the message are one transaction: with no queue to open the
    chat in, the details given are not kept either."""
    form = {"token": issue_token("visitor-offline"), "name": "Ivan", "email": "ivan@example.com", "text": "hi"}
    answer = post("offline/", form)
    assert answer.status_code == 404
    assert not Contact.objects.exists()
    assert not Conversation.objects.exists()
