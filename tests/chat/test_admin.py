"""The operator admin writes through ``do_save_operator``: the cap and skills act at once, and the
login's admin rights follow the manager flag."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from chat.actions import ReceivedMessage
from chat.models import ConversationState, Operator, Skill
from tests.chat.conftest import go

pytestmark = pytest.mark.django_db(transaction=True)
embedded = pytest.mark.embedded


@pytest.fixture
def admin_client(make_operator: Callable[..., Operator]) -> Client:
    manager = make_operator("boss", is_manager=True)
    client = Client()
    client.force_login(manager.user)
    return client


def _form(operator: Operator, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "user": operator.user_id,
        "display_name": operator.display_name,
        "cap": operator.cap,
        "skills": [skill.pk for skill in operator.skills.all()],
        "language": operator.language,
        "_save": "Save",
    }
    if operator.is_manager:
        data["is_manager"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _save(client: Client, operator: Operator, **changes: Any) -> None:
    response = client.post(reverse("admin:chat_operator_change", args=[operator.pk]), _form(operator, **changes))
    assert response.status_code == 302, response.content.decode()[:2000]


@embedded
def test_raising_the_cap_in_the_admin_assigns_a_waiting_chat(
    admin_client: Client, make_operator: Callable[..., Operator], shopper_writes: Callable[..., ReceivedMessage]
) -> None:
    anna = go(make_operator("anna", cap=1), "online")
    first = shopper_writes("s-1").conversation
    second = shopper_writes("s-2").conversation
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.operator_id == anna.pk and second.state == ConversationState.QUEUED

    _save(admin_client, anna, cap=2)

    second.refresh_from_db()
    anna.refresh_from_db()
    assert anna.cap == 2
    assert second.state == ConversationState.ACTIVE and second.operator_id == anna.pk
    assert anna.active_count == 2


@embedded
def test_a_new_skill_in_the_admin_assigns_a_waiting_chat_of_its_queue(
    admin_client: Client, make_operator: Callable[..., Operator], shopper_writes: Callable[..., ReceivedMessage]
) -> None:
    anna = go(make_operator("anna", skills=["general"]), "online")
    waiting = shopper_writes("s-1", queue_slug="stylist").conversation
    waiting.refresh_from_db()
    assert waiting.state == ConversationState.QUEUED

    skills = [Skill.objects.get(slug="general").pk, Skill.objects.get(slug="stylist").pk]
    _save(admin_client, anna, skills=skills)

    waiting.refresh_from_db()
    assert waiting.operator_id == anna.pk
    assert set(anna.skills.values_list("slug", flat=True)) == {"general", "stylist"}


@embedded
def test_the_manager_flag_in_the_admin_gives_and_takes_the_admin_login(
    admin_client: Client, make_operator: Callable[..., Operator]
) -> None:
    anna = make_operator("anna")
    assert not anna.user.is_staff

    _save(admin_client, anna, is_manager="on")
    anna.user.refresh_from_db()
    anna.refresh_from_db()
    assert anna.is_manager and anna.user.is_staff

    _save(admin_client, anna, is_manager=None)
    anna.user.refresh_from_db()
    anna.refresh_from_db()
    assert not anna.is_manager and not anna.user.is_staff


@embedded
def test_an_operator_added_in_the_admin_gets_the_rights_of_the_flag(admin_client: Client, queues: Any) -> None:
    user = get_user_model().objects.create_user(username="new-manager", password="pw-123456")
    data = {
        "user": user.pk,
        "display_name": "Nina",
        "cap": 3,
        "skills": [Skill.objects.get(slug="general").pk],
        "is_manager": "on",
        "language": "ru",
        "_save": "Save",
    }
    response = admin_client.post(reverse("admin:chat_operator_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    nina = Operator.objects.get(user=user)
    user.refresh_from_db()
    assert (nina.display_name, nina.cap, nina.language, nina.is_manager) == ("Nina", 3, "ru", True)
    assert user.is_staff
    assert list(nina.skills.values_list("slug", flat=True)) == ["general"]


@pytest.mark.parametrize("cap", [0, 10_000])
def test_an_invalid_cap_in_the_admin_changes_nothing(
    admin_client: Client, make_operator: Callable[..., Operator], cap: int
) -> None:
    anna = make_operator("anna", cap=2)
    response = admin_client.post(reverse("admin:chat_operator_change", args=[anna.pk]), _form(anna, cap=cap))
    assert response.status_code == 200  # the form again, with the error
    anna.refresh_from_db()
    assert anna.cap == 2
