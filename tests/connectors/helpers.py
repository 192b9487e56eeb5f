"""Setting up a live Telegram or VK chat through the real webhook and chat actions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from celery.signals import task_retry

from chat.actions import do_set_operator_status
from chat.models import Conversation, Event, Message, Operator
from tests.connectors.conftest import fixture


def online(operator: Operator) -> Operator:
    do_set_operator_status(operator_id=operator.pk, status="online")
    operator.refresh_from_db()
    return operator


def telegram_chat(
    post_update: Callable[..., Any], make_operator: Callable[..., Operator]
) -> tuple[Conversation, Operator]:
    """A shopper writes to the bot; an online operator gets the chat."""
    operator = online(make_operator("Olga"))
    assert post_update(fixture("telegram", "message__text")).status_code == 200
    conversation = Conversation.objects.get(connector="telegram")
    assert (conversation.state, conversation.operator_id) == ("active", operator.pk)
    return conversation, operator


def vk_chat(post_event: Callable[..., Any], make_operator: Callable[..., Operator]) -> tuple[Conversation, Operator]:
    operator = online(make_operator("Olga"))
    assert post_event(fixture("vk", "message_new__text")).content == b"ok"
    conversation = Conversation.objects.get(connector="vk")
    assert (conversation.state, conversation.operator_id) == ("active", operator.pk)
    return conversation, operator


def delivery_seen_by(operator: Operator, message: Message) -> list[tuple[str, str]]:
    """The delivery states the operator's workspace was told about, in order."""
    events = Event.objects.filter(audience=f"operator.{operator.pk}", kind="message.delivery").order_by("id")
    return [(e.payload["delivery_state"], e.payload["delivery_error"]) for e in events if e.payload["id"] == message.pk]


@contextmanager
def retries_recorded() -> Iterator[list[float]]:
    """The countdowns Celery was asked to retry with (its ``task_retry`` signal)."""
    countdowns: list[float] = []

    def record(sender: Any = None, reason: Any = None, **kwargs: Any) -> None:
        countdowns.append(float(reason.when))

    task_retry.connect(record, weak=False)
    try:
        yield countdowns
    finally:
        task_retry.disconnect(record)
