"""Sign-in and API token throttling: guessing passwords or tokens stops after a few tries."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from chat.models import Operator
from workspace.tokens import issue_api_token

pytestmark = pytest.mark.django_db(transaction=True)
embedded = pytest.mark.embedded
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def limits(settings: Any) -> Callable[..., None]:
    def set_limits(**values: str) -> None:
        settings.SWITCHBOARD_RATE_LIMITS = {**settings.SWITCHBOARD_RATE_LIMITS, **values}

    return set_limits


def sign_in(client: Client, username: str, password: str, **headers: str) -> Any:
    return client.post("/workspace/login/", {"username": username, "password": password}, headers=headers)


def signed_in(client: Client) -> bool:
    return client.get("/api/me").status_code == 200


@embedded
def test_after_five_wrong_passwords_even_the_right_one_waits(make_operator: Callable[..., Operator]) -> None:
    anna = make_operator("Anna")
    client = Client()
    for _ in range(5):
        assert "Please enter a correct" in sign_in(client, anna.user.username, "wrong").content.decode()
    refused = sign_in(client, anna.user.username, "pw-123456")
    assert refused.status_code == 200
    assert "Too many failed sign-ins. Try again in 15 minutes." in refused.content.decode()
    assert not signed_in(client)
    # Another operator from another address is not affected.
    boris = make_operator("Boris")
    assert sign_in(Client(REMOTE_ADDR="10.0.0.9"), boris.user.username, "pw-123456").status_code == 302


@embedded
def test_the_lockout_is_told_in_russian(make_operator: Callable[..., Operator], limits: Callable[..., None]) -> None:
    limits(login_user="2/600")
    anna = make_operator("Anna")
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    for _ in range(2):
        sign_in(client, anna.user.username, "wrong")
    page = sign_in(client, anna.user.username, "pw-123456").content.decode()
    assert "Слишком много неудачных попыток входа. Попробуйте снова через 10 минут." in page


@embedded
def test_one_address_trying_many_names_is_locked_out(
    make_operator: Callable[..., Operator], limits: Callable[..., None]
) -> None:
    limits(login_ip="3/600")
    anna = make_operator("Anna")
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for name in ("admin", "root", "boris"):
        sign_in(attacker, name, "123456")
    assert "Too many failed sign-ins" in sign_in(attacker, anna.user.username, "pw-123456").content.decode()
    # Anna at her own desk still signs in.
    assert sign_in(Client(REMOTE_ADDR="198.51.100.2"), anna.user.username, "pw-123456").status_code == 302


@embedded
def test_a_correct_password_clears_earlier_typos(make_operator: Callable[..., Operator]) -> None:
    anna = make_operator("Anna")
    client = Client()
    for _ in range(4):
        sign_in(client, anna.user.username, "wrong")
    assert sign_in(client, anna.user.username, "pw-123456").status_code == 302
    client.post("/workspace/logout/")
    for _ in range(4):
        sign_in(client, anna.user.username, "wrong")
    assert sign_in(client, anna.user.username, "pw-123456").status_code == 302


@embedded
def test_the_admin_sign_in_is_locked_out_too(make_operator: Callable[..., Operator]) -> None:
    manager = make_operator("Maria", is_manager=True)
    manager.user.is_staff = manager.user.is_superuser = True
    manager.user.save()
    client = Client()
    for _ in range(5):
        client.post("/admin/login/", {"username": manager.user.username, "password": "wrong"})
    page = client.post("/admin/login/", {"username": manager.user.username, "password": "pw-123456"})
    assert "Too many failed sign-ins" in page.content.decode()
    assert client.get("/admin/").status_code == 302


@embedded
def test_bad_bearer_tokens_are_slowed_down(make_operator: Callable[..., Operator], limits: Callable[..., None]) -> None:
    limits(api_token_ip="10/60")
    anna = make_operator("Anna")
    script = Client()
    statuses = [script.get("/api/me", headers={"Authorization": f"Bearer guess-{n}"}).status_code for n in range(12)]
    assert statuses == [401] * 10 + [429] * 2
    refused = script.get("/api/me", headers={"Authorization": f"Bearer {issue_api_token(anna)}"})
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    # A script elsewhere with a good token goes on working.
    other = Client(REMOTE_ADDR="198.51.100.2")
    assert other.get("/api/me", headers={"Authorization": f"Bearer {issue_api_token(anna)}"}).status_code == 200


def test_failures_counted_by_another_process_lock_this_one(make_operator: Callable[..., Operator]) -> None:
    """With Redis, every daphne process sees the same counters: failures in one lock the name in all."""
    anna = make_operator("Anna")
    script = (
        "import django; django.setup()\n"
        "from django.test.utils import setup_test_environment; setup_test_environment()\n"
        "from django.test import Client\n"
        f"for _ in range(5): Client().post('/workspace/login/', {{'username': {anna.user.username!r}, "
        "'password': 'wrong'})\n"
    )
    db = connection.settings_dict
    env = {
        **os.environ,
        "SWITCHBOARD_THROTTLE_PREFIX": settings.SWITCHBOARD_THROTTLE_PREFIX,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, check=True, timeout=120)
    assert "Too many failed sign-ins" in sign_in(Client(), anna.user.username, "pw-123456").content.decode()
