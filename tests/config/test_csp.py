"""The Content-Security-Policy on every page, and pages that need no inline script to work."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from chat.actions import InboundMessage, do_receive_inbound
from chat.models import Operator, Queue
from workspace.questionnaire.links import questionnaire_path

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def policy(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


class InlineCode(HTMLParser):
    """Collects what a policy without 'unsafe-inline' would block: inline scripts, handlers, style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        for name, _value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"<{tag} {name}=...>")
        if tag == "style" and "nonce" not in names:
            self.found.append("<style> without a nonce")
        self._in_script = tag == "script" and "src" not in names and names.get("type") != "application/json"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append(f"<script>{data.strip()[:40]}")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def inline_code(response: Any) -> list[str]:
    parser = InlineCode()
    parser.feed(response.content.decode())
    return parser.found


@pytest.fixture
def manager_client(make_operator: Callable[..., Operator]) -> Client:
    client = Client()
    client.force_login(make_operator("Maria", is_manager=True).user)
    return client


def test_the_workspace_allows_only_its_own_scripts_and_this_responses_nonce(manager_client: Client) -> None:
    first, second = manager_client.get("/workspace/"), manager_client.get("/workspace/")
    rules = policy(first)
    assert rules["script-src"][0] == "'self'"
    assert rules["script-src"][1].startswith("'nonce-")
    assert rules["object-src"] == ["'none'"]
    assert rules["base-uri"] == ["'none'"]
    assert rules["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in first["Content-Security-Policy"]
    assert "'unsafe-eval'" not in first["Content-Security-Policy"]
    assert policy(second)["script-src"][1] != rules["script-src"][1], "a nonce is never reused"


@pytest.mark.parametrize(
    "path",
    [
        "/workspace/",
        "/workspace/dashboards/live/",
        "/workspace/dashboards/history/",
        "/workspace/dashboards/targets/",
        "/workspace/dashboards/customers/?q=a",
        "/api/docs",
        "/admin/",
    ],
)
def test_operator_and_manager_pages_have_no_inline_script_or_handler(manager_client: Client, path: str) -> None:
    response = manager_client.get(path)
    assert response.status_code == 200
    assert "Content-Security-Policy" in response
    assert inline_code(response) == []


@pytest.mark.parametrize("path", ["/workspace/login/", "/", "/admin/login/"])
def test_public_pages_have_no_inline_script_or_handler(db: None, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    assert "Content-Security-Policy" in response
    assert inline_code(response) == []


def test_the_demo_shop_hands_its_nonce_to_the_widget(db: None) -> None:
    response = Client().get("/")
    nonce = policy(response)["style-src"][1].removeprefix("'nonce-").removesuffix("'")
    assert f'nonce="{nonce}"' in response.content.decode()


def _questionnaire(queues: dict[str, Queue]) -> str:
    received = do_receive_inbound(InboundMessage(connector="widget", sender_id="v-q", text="hi", queue_slug="stylist"))
    return questionnaire_path(received.conversation.pk)


def test_the_questionnaire_may_be_framed_only_by_the_shops_origins(queues: dict[str, Queue], settings: Any) -> None:
    path = _questionnaire(queues)
    settings.WIDGET_ALLOWED_ORIGINS = ["https://shop.example"]
    response = Client().get(path)
    assert response.status_code == 200
    assert policy(response)["frame-ancestors"] == ["'self'", "https://shop.example"]
    assert inline_code(response) == []
    settings.WIDGET_ALLOWED_ORIGINS = []
    assert policy(Client().get(path))["frame-ancestors"] == ["*"]


def test_report_only_sends_the_same_policy_under_the_report_only_header(db: None, settings: Any) -> None:
    settings.CSP_REPORT_ONLY = True
    response = Client().get("/workspace/login/")
    assert "Content-Security-Policy" not in response
    assert "script-src 'self'" in response["Content-Security-Policy-Report-Only"]
