"""Retention: closed conversations past ``SWITCHBOARD_RETENTION_DAYS`` are erased by a periodic task."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from chat import tasks
from chat.actions import ReceivedMessage, do_close, do_erase_expired_conversations, do_operator_reply
from chat.actions.operators import do_set_operator_status
from chat.models import Contact, Conversation, DataAuditRecord, Message, Operator, Reason

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


@pytest.fixture
def closed_chat(
    make_operator: Callable[..., Operator], shopper_writes: Callable[..., ReceivedMessage], reason: Reason
) -> Conversation:
    operator = make_operator("Olga", skills=["general"])
    do_set_operator_status(operator_id=operator.pk, status="online")
    received = shopper_writes("v-old", "Мой адрес: Ленина, 5", sender_name="Ирина")
    chat = received.conversation
    do_operator_reply(conversation_id=chat.pk, operator_id=operator.pk, text="Спасибо, записал.")
    do_close(conversation_id=chat.pk, operator_id=operator.pk, reason_id=reason.pk)
    return Conversation.objects.get(pk=chat.pk)


def texts(conversation: Conversation) -> list[str]:
    return list(Message.objects.filter(conversation=conversation).values_list("text", flat=True))


def test_off_by_default_nothing_is_erased(closed_chat: Conversation) -> None:
    assert settings.SWITCHBOARD_RETENTION_DAYS == 0
    assert do_erase_expired_conversations(at=timezone.now() + timedelta(days=3650)) is None
    assert "Мой адрес: Ленина, 5" in texts(closed_chat)


def test_a_chat_closed_before_the_cutoff_is_erased_and_recorded(closed_chat: Conversation, settings: Any) -> None:
    settings.SWITCHBOARD_RETENTION_DAYS = 30
    assert do_erase_expired_conversations(at=timezone.now() + timedelta(days=29)) is None
    assert "Мой адрес: Ленина, 5" in texts(closed_chat)

    record = do_erase_expired_conversations(at=timezone.now() + timedelta(days=31))
    assert record is not None
    assert (record.kind, record.actor, record.contact) == ("retention", None, None)
    assert record.summary["conversations"] == [closed_chat.pk]
    assert set(texts(closed_chat)) == {""}
    closed_chat.refresh_from_db()
    assert closed_chat.erased_at is not None
    assert closed_chat.closed_at is not None, "the metrics keep the chat's times"
    # The shopper had nothing else: their details go too.
    contact = Contact.objects.get(pk=closed_chat.contact_id)
    assert (contact.name, contact.erased_at is not None) == ("", True)
    assert contact.identities.get().external_id.startswith("erased-")
    # The next run finds nothing left to do.
    assert do_erase_expired_conversations(at=timezone.now() + timedelta(days=31)) is None
    assert DataAuditRecord.objects.count() == 1


def test_open_chats_and_customers_with_a_newer_chat_are_kept(
    closed_chat: Conversation,
    shopper_writes: Callable[..., ReceivedMessage],
    settings: Any,
) -> None:
    settings.SWITCHBOARD_RETENTION_DAYS = 30
    open_chat = shopper_writes("v-old", "Я снова здесь").conversation
    assert open_chat.pk != closed_chat.pk
    do_erase_expired_conversations(at=timezone.now() + timedelta(days=31))
    assert set(texts(closed_chat)) == {""}
    assert texts(open_chat) == ["Я снова здесь"]
    contact = Contact.objects.get(pk=closed_chat.contact_id)
    assert contact.name == "Ирина"
    assert contact.erased_at is None


def test_the_task_runs_from_the_beat_schedule(closed_chat: Conversation, settings: Any) -> None:
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "chat.tasks.erase_expired_conversations" in schedule
    assert tasks.erase_expired_conversations() == 0
    settings.SWITCHBOARD_RETENTION_DAYS = 1
    Conversation.objects.filter(pk=closed_chat.pk).update(closed_at=timezone.now() - timedelta(days=2))
    assert tasks.erase_expired_conversations() == 1
    assert set(texts(closed_chat)) == {""}
