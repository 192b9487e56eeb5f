"""Who may read what in the workspace (docs/security.md, "Who may read what"): the leaks found from outside."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from chat.actions import do_close, do_set_operator_status
from chat.actions.inbound import open_conversation
from chat.models import Conversation, ConversationState, Operator, Reason

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


@pytest.fixture
def online(make_operator: Callable[..., Operator]) -> Callable[[str], Operator]:
    def make(name: str) -> Operator:
        operator = make_operator(name)
        do_set_operator_status(operator_id=operator.pk, status="online")
        return operator

    return make


def test_a_waiting_consultation_does_not_open_the_customers_active_chat_to_everyone(
    online: Callable[[str], Operator], shopper_writes: Callable[..., Any], client_for: Callable[..., Client]
) -> None:
    boris = online("Boris")
    chat = Conversation.objects.get(pk=shopper_writes("v-olga", "my card number is 4242").conversation.pk)
    assert (chat.state, chat.operator_id) == (ConversationState.ACTIVE, boris.pk)
    # The same customer also waits on another connector (nobody has the stylist skill): a queued chat.
    with transaction.atomic():
        consultation = open_conversation(contact=chat.contact, connector="telegram", queue_slug="stylist")[0]
    assert Conversation.objects.get(pk=consultation.pk).state == ConversationState.QUEUED
    anna = client_for(online("Anna"))

    assert anna.get(f"/api/conversations/{consultation.pk}").status_code == 200  # the queue is shared
    refused = anna.get(f"/api/conversations/{chat.pk}")
    assert refused.status_code == 403
    assert "4242" not in refused.content.decode()
    assert anna.get(f"/api/conversations/{chat.pk}/feedback").status_code == 403
    card = anna.get(f"/api/contacts/{chat.contact_id}").json()
    assert [c["id"] for c in card["conversations"]] == [consultation.pk]
    # Boris, who holds the chat, still reads it; so does a manager.
    assert client_for(boris).get(f"/api/conversations/{chat.pk}").status_code == 200


def test_a_past_operator_does_not_see_the_customers_current_chat_with_someone_else(
    online: Callable[[str], Operator],
    reason: Reason,
    shopper_writes: Callable[..., Any],
    client_for: Callable[..., Client],
) -> None:
    anna = online("Anna")
    first = Conversation.objects.get(pk=shopper_writes("v-olga", "first visit").conversation.pk)
    assert first.operator_id == anna.pk
    do_close(conversation_id=first.pk, operator_id=anna.pk, reason_id=reason.pk)
    do_set_operator_status(operator_id=anna.pk, status="offline")
    boris = online("Boris")
    second = Conversation.objects.get(pk=shopper_writes("v-olga", "my new address is 5 Elm St").conversation.pk)
    assert second.operator_id == boris.pk

    client = client_for(anna)
    card = client.get(f"/api/contacts/{first.contact_id}")
    assert card.status_code == 200  # her own past chat with the customer
    assert [c["id"] for c in card.json()["conversations"]] == [first.pk]
    assert "5 Elm St" not in card.content.decode()
    assert client.get(f"/api/conversations/{second.pk}").status_code == 403
    # Boris holds the customer now: their past chat with Anna is his context.
    boris_card = client_for(boris).get(f"/api/contacts/{first.contact_id}").json()
    assert [c["id"] for c in boris_card["conversations"]] == [second.pk, first.pk]
    assert client_for(boris).get(f"/api/conversations/{first.pk}").status_code == 200


def test_a_manager_reads_every_chat_and_card(
    online: Callable[[str], Operator],
    make_operator: Callable[..., Operator],
    shopper_writes: Callable[..., Any],
    client_for: Callable[..., Client],
) -> None:
    online("Boris")
    chat = shopper_writes("v-olga", "hello").conversation
    manager = client_for(make_operator("Maria", is_manager=True))
    assert manager.get(f"/api/conversations/{chat.pk}").status_code == 200
    assert [c["id"] for c in manager.get(f"/api/contacts/{chat.contact_id}").json()["conversations"]] == [chat.pk]
