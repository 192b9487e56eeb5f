"""Helpers for the core queue tests: operators going online, and a picture of everything stored."""

from __future__ import annotations

from typing import Any

import pytest

from chat.actions import do_set_operator_status
from chat.models import (
    Attachment,
    Contact,
    Conversation,
    ConversationStep,
    Event,
    Identity,
    Message,
    Operator,
    OperatorStatusChange,
)


def go(operator: Operator, status: str) -> Operator:
    do_set_operator_status(operator_id=operator.pk, status=status)
    operator.refresh_from_db()
    return operator


def stored_state() -> dict[str, Any]:
    """Every row a chat action may touch, so a refused action can be shown to have written nothing."""
    counted = (Contact, Identity, Conversation, ConversationStep, Message, Attachment, Event, OperatorStatusChange)
    return {
        "counts": {model.__name__: model.objects.count() for model in counted},
        "conversations": list(
            Conversation.objects.order_by("pk").values_list(
                "pk", "state", "operator_id", "queue_id", "reason_id", "queued_at", "closed_at", "response_clock_at"
            )
        ),
        "operators": list(
            Operator.objects.order_by("pk").values_list("pk", "status", "active_count", "last_assigned_at")
        ),
        "messages": list(Message.objects.order_by("pk").values_list("pk", "text", "delivery_state", "edited_at")),
    }


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Operators are created by the dozen here; a slow hash only buys slowness in tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
