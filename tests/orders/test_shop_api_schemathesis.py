"""schemathesis against the shop API's own OpenAPI schema with a valid key: no 5xx, input the schema
forbids is refused, and every answer (stored batches, refused ones, 404s) matches the documented
shapes. Input the schema allows may still be refused (an unknown customer, a number twice in a batch,
an address that is no email): the batch rules say more than JSON Schema can. ``SCHEMATHESIS_EXAMPLES``
per operation (default 6) runs longer."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from orders.actions import do_create_shop_api_key

pytestmark = [pytest.mark.django_db]

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "6"))
schema = schemathesis.openapi.from_wsgi("/api/shop/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def key_header(db: None) -> Iterator[dict[str, str]]:
    """A shop key; the WSGI app must not close the test's database connection between requests."""
    key = do_create_shop_api_key(name="schemathesis")[1]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"Authorization": f"Bearer {key}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_shop_api_honours_its_schema(case: Any, key_header: dict[str, str]) -> None:
    case.call_and_validate(headers=key_header, excluded_checks=[checks.positive_data_acceptance])
