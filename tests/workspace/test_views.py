"""The workspace pages: sign-in, the language switch, who gets the workspace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from chat.models import Operator
from connectors.widget.signing import check_signed_customer, sign_customer

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def test_anonymous_visitors_are_sent_to_sign_in(db: None) -> None:
    response = Client().get("/workspace/")
    assert response.status_code == 302
    assert response["Location"].startswith("/workspace/login/")


def test_sign_in_page_in_russian_names_its_fields(db: None) -> None:
    page = Client().get("/workspace/login/", headers={"Accept-Language": "ru"}).content.decode()
    assert '<html lang="ru">' in page
    assert ">Логин</label>" in page
    assert ">Пароль</label>" in page
    assert 'aria-label="Язык"' in page


def test_signing_in_leads_to_the_workspace_in_the_operators_language(
    make_operator: Callable[..., Operator],
) -> None:
    operator = make_operator("Ирина", language="ru")
    client = Client()
    response = client.post(
        "/workspace/login/", {"username": operator.user.username, "password": "pw-123456", "next": "/workspace/"}
    )
    assert response["Location"] == "/workspace/"
    page = client.get("/workspace/", headers={"Accept-Language": "en"}).content.decode()
    assert '<html lang="ru">' in page
    assert 'aria-label="Мой статус"' in page
    assert "csrftoken" in client.cookies


def test_the_language_switch_overrides_the_operators_language(make_operator: Callable[..., Operator]) -> None:
    client = Client()
    client.force_login(make_operator("Ирина", language="ru").user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/workspace/"})
    assert '<html lang="en">' in client.get("/workspace/").content.decode()


def test_a_user_who_is_not_an_operator_is_told_so(django_user_model: Any) -> None:
    client = Client()
    client.force_login(django_user_model.objects.create_user(username="shopkeeper", password="pw-123456"))
    page = client.get("/workspace/").content.decode()
    assert "This account is not an operator." in page
    assert "workspace.js" not in page


def test_the_demo_shop_signs_its_visitor_in_as_a_demo_customer_only_with_a_secret(
    db: None, client: Client, settings: Any
) -> None:
    """``make run`` sets the widget's customer secret, and the demo shop then lets a visitor shop as
    Olga, whose orders' stage the widget shows; without a secret it offers nothing to forge."""
    settings.WIDGET_CUSTOMER_SECRET = ""
    page = client.get("/?as=C-1001").content.decode()
    assert "data-customer-signature" not in page and "?as=C-1001" not in page

    settings.WIDGET_CUSTOMER_SECRET = "demo-secret"
    assert 'href="?as=C-1001"' in client.get("/").content.decode()  # the choice, nobody signed in yet
    page = client.get("/?as=C-1001").content.decode()
    assert "Signed in as Olga" in page
    signature = sign_customer("C-1001", "Olga", "olga@example.com", "demo-secret")
    assert 'data-customer-id="C-1001"' in page and f'data-customer-signature="{signature}"' in page
    check_signed_customer({"id": "C-1001", "name": "Olga", "email": "olga@example.com", "signature": signature})
    assert "data-customer-signature" in client.get("/").content.decode()  # kept in the session
    for leaving in ("/?as=", "/?as=C-9999"):
        assert "data-customer-signature" not in client.get(leaving).content.decode()
