"""A chat that was answered and closed, ready to be rated; prompts recorded instead of sent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from chat import registry
from chat.actions import ReceivedMessage, do_close, do_operator_reply, do_set_operator_status
from chat.models import Conversation, Operator, Reason


@dataclass
class ClosedChat:
    conversation: Conversation
    operator: Operator
    sender_id: str
    connector: str


def online(operator: Operator) -> Operator:
    do_set_operator_status(operator_id=operator.pk, status="online")
    operator.refresh_from_db()
    return operator


@pytest.fixture
def answered_and_closed(
    make_operator: Callable[..., Operator],
    shopper_writes: Callable[..., ReceivedMessage],
    reason: Reason,
) -> Callable[..., ClosedChat]:
    """``answered_and_closed("visitor-1")``: the shopper writes, an operator answers and closes."""

    def make(sender_id: str, *, language: str = "en", connector: str = "widget") -> ClosedChat:
        operator = online(make_operator())
        received = shopper_writes(sender_id, "Where is my order?", connector=connector, language=language)
        conversation_id = received.conversation.pk
        assert Conversation.objects.get(pk=conversation_id).operator_id == operator.pk
        do_operator_reply(conversation_id=conversation_id, operator_id=operator.pk, text="It ships today.")
        do_close(conversation_id=conversation_id, operator_id=operator.pk, reason_id=reason.pk)
        return ClosedChat(
            conversation=Conversation.objects.get(pk=conversation_id),
            operator=operator,
            sender_id=sender_id,
            connector=connector,
        )

    return make


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Path) -> None:
    """Uploaded photos go to a throwaway folder, not the checkout's var/media."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def recorded_prompts() -> Iterator[list[tuple[str, int]]]:
    """Rating prompts as a connector would receive them; the real registry is restored after."""
    saved = dict(registry._entries)
    calls: list[tuple[str, int]] = []

    def recorder(connector: str) -> Callable[[int], None]:
        return lambda conversation_id: calls.append((connector, conversation_id))

    for connector in ("widget", "telegram", "vk"):
        registry.register_connector(
            connector, replace(registry.entry_for(connector), prompt_rating=recorder(connector))
        )
    yield calls
    registry._entries.clear()
    registry._entries.update(saved)


# The local Telegram and VK API servers and the webhook posters of the connector tests.
from tests.connectors.conftest import (  # noqa: E402
    _isolated,  # noqa: F401
    fake_telegram,  # noqa: F401
    fake_vk,  # noqa: F401
    post_event,  # noqa: F401
    post_update,  # noqa: F401
    telegram_server,  # noqa: F401
    vk_server,  # noqa: F401
)
