"""The widget's HTTP endpoints never answer 500 to input: deep JSON, NUL and lone surrogates are refused
with the endpoint's error shape, before anything is stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from chat.models import Contact, Conversation, Message
from connectors.widget.signing import issue_token

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def post_raw(path: str, body: str) -> Any:
    return Client().post(f"/connectors/widget/{path}", data=body, content_type="application/json")


@pytest.mark.parametrize("path", ["session/", "offline/"])
def test_deeply_nested_json_is_malformed_not_a_500(path: str) -> None:
    answer = post_raw(path, '{"token":' + "[" * 8000 + "]" * 8000 + "}")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "malformed"
    assert "deep" in answer.json()["error"]["message"]


@pytest.mark.parametrize("field", ["name", "email", "phone", "text", "language", "client_id", "page"])
@pytest.mark.parametrize("bad", ["\x00", "\ud800"], ids=["nul", "surrogate"])
def test_an_offline_field_that_cannot_be_stored_is_refused_by_name(queues: Any, field: str, bad: str) -> None:
    form = {"token": issue_token("visitor-offline"), "name": "Ivan", "email": "ivan@example.com", "text": "hi"}
    form[field] = f"{form.get(field, 'x')}{bad}"
    answer = post_raw("offline/", json.dumps(form))  # ensure_ascii writes "\u0000" / "\ud800", as browsers do
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_input"
    assert field in answer.json()["error"]["message"]
    assert not Conversation.objects.exists()
    assert not Contact.objects.exists()
    assert not Message.objects.exists()


def test_a_signed_customer_with_a_nul_in_the_name_is_refused(settings: Any) -> None:
    settings.WIDGET_CUSTOMER_SECRET = "shop-secret"
    body = json.dumps({"customer": {"id": "1", "name": "A\x00", "email": "", "signature": "00"}})
    answer = post_raw("session/", body)
    assert answer.status_code == 400
    assert "customer.name" in answer.json()["error"]["message"]


def test_status_with_a_nul_queue_is_a_400(queues: Any) -> None:
    answer = Client().get("/connectors/widget/status/?queue=%00")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_input"
    assert Client().get("/connectors/widget/status/?queue=general&lang=%00").status_code == 200
