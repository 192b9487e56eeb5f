"""schemathesis against the workspace API's own OpenAPI schema, signed in as an operator and as a
manager: no 5xx, every response matches the schema (documented status, documented error shape).
Bounded for the suite: ``SCHEMATHESIS_EXAMPLES`` per operation (default 6) runs longer."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings

from chat.actions import InboundMessage, do_receive_inbound, do_set_operator_status
from chat.models import Operator

pytestmark = [pytest.mark.django_db]

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "6"))


# The schema served by the real WSGI app (reading it needs no database).
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())


@pytest.fixture
def signed_in(make_operator: Callable[..., Operator]) -> Iterator[Callable[[str], dict[str, str]]]:
    """Headers for the role, made once per test. Like Django's test client (which reconnects the
    signals after its own requests), the WSGI app must not close the test's database connection."""
    made: dict[str, dict[str, str]] = {}

    def headers(role: str) -> dict[str, str]:
        if role not in made:
            made[role] = _sign_in(make_operator, role)
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        return made[role]

    yield headers
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _sign_in(make_operator: Callable[..., Operator], role: str) -> dict[str, str]:
    """Session and CSRF headers of an online operator or manager holding a chat, as a browser sends them."""
    operator = make_operator("Anna", is_manager=role == "manager")
    do_set_operator_status(operator_id=operator.pk, status="online")
    do_receive_inbound(InboundMessage(connector="widget", sender_id="v-1", text="hi"))
    client = Client()
    client.force_login(operator.user)
    client.get("/workspace/")
    session, csrf = client.cookies["sessionid"].value, client.cookies["csrftoken"].value
    return {"Cookie": f"sessionid={session}; csrftoken={csrf}", "X-CSRFToken": csrf}


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_honours_its_schema_for_an_operator(case: Any, signed_in: Callable[[str], dict[str, str]]) -> None:
    case.call_and_validate(headers=signed_in("operator"))


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_honours_its_schema_for_a_manager(case: Any, signed_in: Callable[[str], dict[str, str]]) -> None:
    case.call_and_validate(headers=signed_in("manager"))
