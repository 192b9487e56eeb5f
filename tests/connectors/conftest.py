"""Fake Telegram and VK servers on loopback, and the settings that point the real clients at them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from connectors import callbacks, ratelimit
from tests.fakes.telegram import FakeTelegram
from tests.fakes.vk import FakeVk

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TG_SECRET = "tg-webhook-secret"
VK_SECRET = "vk-secret"
VK_GROUP = "229000111"


def fixture(connector: str, name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / connector / f"{name}.json").read_text())


@pytest.fixture(scope="session")
def telegram_server() -> Iterator[FakeTelegram]:
    server = FakeTelegram()
    yield server
    server.close()


@pytest.fixture(scope="session")
def vk_server() -> Iterator[FakeVk]:
    server = FakeVk()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _isolated(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    ratelimit.limiter().clear()
    yield
    ratelimit.limiter().clear()


@pytest.fixture(autouse=True)
def _no_button_owners(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the connectors alone: no app's button or command handlers (ratings,
    consultations) are registered unless a test registers its own."""
    monkeypatch.setattr(callbacks, "_callback_handlers", {})
    monkeypatch.setattr(callbacks, "_command_handlers", {})


@pytest.fixture
def fake_telegram(telegram_server: FakeTelegram, settings: Any) -> FakeTelegram:
    telegram_server.reset()
    settings.TELEGRAM_BOT_TOKEN = "123456:TEST-token"
    settings.TELEGRAM_WEBHOOK_SECRET = TG_SECRET
    settings.TELEGRAM_API_URL = telegram_server.url
    return telegram_server


@pytest.fixture
def fake_vk(vk_server: FakeVk, settings: Any) -> FakeVk:
    vk_server.reset()
    settings.VK_GROUP_TOKEN = "vk-group-token"
    settings.VK_GROUP_ID = VK_GROUP
    settings.VK_CALLBACK_SECRET = VK_SECRET
    settings.VK_CONFIRMATION_CODE = "a1b2c3d4"
    settings.VK_API_URL = vk_server.url
    return vk_server


@pytest.fixture
def post_update(client: Client) -> Callable[..., Any]:
    """POST a Telegram update the way Telegram does (the secret header, JSON body)."""

    def post(update: dict[str, Any] | str | bytes, secret: str | None = TG_SECRET) -> Any:
        body = update if isinstance(update, str | bytes) else json.dumps(update)
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return client.post("/connectors/telegram/webhook/", data=body, content_type="application/json", headers=headers)

    return post


@pytest.fixture
def post_event(client: Client) -> Callable[..., Any]:
    """POST a VK Callback API event (VK puts the secret in the body)."""

    def post(event: dict[str, Any] | str | bytes, retry: int | None = None) -> Any:
        body = event if isinstance(event, str | bytes) else json.dumps(event)
        headers = {"X-Retry-Counter": str(retry)} if retry else {}
        return client.post("/connectors/vk/callback/", data=body, content_type="application/json", headers=headers)

    return post
