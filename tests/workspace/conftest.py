"""Workspace fixtures: logged-in API clients for operators, set up through the real actions."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from chat.models import Operator


@pytest.fixture
def client_for() -> Callable[..., Client]:
    """A browser-like client logged in as the operator, enforcing CSRF like a real browser."""

    def make(operator: Operator) -> Client:
        client = Client(enforce_csrf_checks=True)
        client.force_login(operator.user)
        client.get("/workspace/")  # sets the CSRF cookie, as the page load does
        return client

    return make


def csrf_headers(client: Client) -> dict[str, str]:
    return {"X-CSRFToken": client.cookies["csrftoken"].value}
