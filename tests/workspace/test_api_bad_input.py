"""The workspace API never answers 500 to input, and answers strangers as its docs say."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from chat.actions import do_set_operator_status
from chat.models import Message, Operator
from tests.workspace.conftest import csrf_headers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


@pytest.fixture
def anna(make_operator: Callable[..., Operator]) -> Operator:
    operator = make_operator("Anna", is_manager=True)
    do_set_operator_status(operator_id=operator.pk, status="online")
    return operator


def post_raw(client: Client, url: str, body: str) -> Any:
    return client.post(url, body, content_type="application/json", headers=csrf_headers(client))


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/me/status"),
        ("post", "/api/conversations/1/messages"),
        ("post", "/api/conversations/1/close"),
        ("post", "/api/ratings/1/review"),
    ],
)
def test_anonymous_writes_get_401_unauthorized_not_a_csrf_failure(db: None, method: str, url: str) -> None:
    response = getattr(Client(enforce_csrf_checks=True), method)(url, "{}", content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_a_signed_in_write_without_the_csrf_token_is_still_refused(anna: Operator) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(anna.user)
    response = client.post("/api/me/status", json.dumps({"status": "away"}), content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/ratings/9223372036854775808/review"),
        ("get", "/api/conversations/9223372036854775808"),
        ("get", "/api/conversations/99999999999999999999999999/feedback"),
        ("get", "/api/contacts/9223372036854775808"),
        ("post", "/api/messages/9223372036854775808/retry"),
        ("get", "/api/conversations/-1"),
    ],
)
def test_ids_past_what_the_database_holds_are_404(
    client_for: Callable[..., Client], anna: Operator, method: str, url: str
) -> None:
    client = client_for(anna)
    response = post_raw(client, url, "{}") if method == "post" else client.get(url)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("body", ['{"reason_id": 9223372036854775808}', '{"reason_id": 0}'], ids=["overflow", "zero"])
def test_out_of_range_ids_in_a_body_are_422(
    client_for: Callable[..., Client], anna: Operator, shopper_writes: Callable[..., Any], body: str
) -> None:
    conversation = shopper_writes("v-1", "hi").conversation
    response = post_raw(client_for(anna), f"/api/conversations/{conversation.pk}/close", body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


def test_a_nul_in_the_canned_reply_search_is_a_400(client_for: Callable[..., Client], anna: Operator) -> None:
    response = client_for(anna).get("/api/canned-replies?q=%00")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert "q" in response.json()["error"]["message"]


@pytest.mark.parametrize("is_note", [True, False], ids=["note", "reply"])
def test_a_lone_surrogate_in_a_note_or_reply_is_refused_and_nothing_stored(
    client_for: Callable[..., Client], anna: Operator, shopper_writes: Callable[..., Any], is_note: bool
) -> None:
    conversation = shopper_writes("v-1", "hi").conversation
    body = json.dumps({"text": "broken \ud800 note", "is_note": is_note})
    response = post_raw(client_for(anna), f"/api/conversations/{conversation.pk}/messages", body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"
    assert "text" in response.json()["error"]["message"]
    assert list(Message.objects.values_list("text", flat=True)) == ["hi"]


def test_deep_json_body_is_a_400(client_for: Callable[..., Client], anna: Operator) -> None:
    response = post_raw(client_for(anna), "/api/me/status", "[" * 8000 + "]" * 8000)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_the_openapi_schema_documents_422_with_the_error_shape(
    client_for: Callable[..., Client], anna: Operator
) -> None:
    schema = Client().get("/api/openapi.json").json()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert operations
    for operation in operations:
        assert "422" in operation["responses"], operation["operationId"]
        content = operation["responses"]["422"]["content"]["application/json"]["schema"]
        assert content == {"$ref": "#/components/schemas/ErrorOut"}
