"""A Telegram user sharing their own number gives a verified phone (it merges contacts); a number
someone forwards proves nothing."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chat.actions import do_set_contact_details
from chat.models import ContactMerge, Identity
from tests.connectors.conftest import fixture

pytestmark = [pytest.mark.django_db(transaction=True)]


def shared_contact(user_id: int, phone: str) -> dict[str, Any]:
    update = copy.deepcopy(fixture("telegram", "message__location"))
    del update["message"]["location"]
    update["message"]["contact"] = {"phone_number": phone, "first_name": "Anna", "user_id": user_id}
    return update


def test_own_number_is_verified_and_merges_with_the_shops_customer(
    post_update: Any, fake_telegram: Any, queues: Any
) -> None:
    do_set_contact_details(connector="vk", sender_id="42", phone="+7 916 123-45-67", verified=True)
    assert post_update(shared_contact(111222333, "79161234567")).status_code == 200
    telegram = Identity.objects.get(connector="telegram", external_id="111222333").contact
    assert (telegram.phone, telegram.phone_verified) == ("+79161234567", True)
    assert ContactMerge.objects.get().key == "phone"
    assert telegram.pk == Identity.objects.get(connector="vk", external_id="42").contact_id


def test_someone_elses_number_is_only_a_message(post_update: Any, fake_telegram: Any, queues: Any) -> None:
    do_set_contact_details(connector="vk", sender_id="42", phone="+79161234567", verified=True)
    assert post_update(shared_contact(999, "79161234567")).status_code == 200
    telegram = Identity.objects.get(connector="telegram", external_id="111222333").contact
    assert (telegram.phone, telegram.phone_verified) == ("", False)
    assert not ContactMerge.objects.exists()
