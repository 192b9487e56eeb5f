"""Shop keys made with the command and in the admin: shown once, stored hashed, revocable."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from orders.keys import key_hash, shop_key_for
from orders.models import ShopApiKey

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def test_the_command_prints_a_key_that_works_once_and_keeps_only_its_hash() -> None:
    out = io.StringIO()
    call_command("create_shop_api_key", "My shop", stdout=out, stderr=io.StringIO())
    key = out.getvalue().strip()
    row = ShopApiKey.objects.get()
    assert row.name == "My shop" and row.key_hash == key_hash(key) and key not in row.key_hash
    assert shop_key_for(key) == row
    assert shop_key_for(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    with pytest.raises(CommandError):
        call_command("create_shop_api_key", "  ", stdout=io.StringIO(), stderr=io.StringIO())


def test_the_admin_shows_a_new_key_once_and_revokes_it() -> None:
    admin = User.objects.create_superuser("root", "root@example.com", "pw-123456")
    client = Client()
    client.force_login(admin)
    answer = client.post("/admin/orders/shopapikey/add/", {"name": "Shop two"}, follow=True)
    assert answer.status_code == 200
    row = ShopApiKey.objects.get()
    shown = [str(m) for m in answer.context["messages"]]
    key = next(word for text in shown for word in text.split() if word.startswith("sbk_"))
    assert shop_key_for(key) == row
    listing = client.get("/admin/orders/shopapikey/").content.decode()
    assert key not in listing
    client.post("/admin/orders/shopapikey/", {"action": "revoke", "_selected_action": [row.pk]}, follow=True)
    assert shop_key_for(key) is None
