"""Every refused chat action says why with its own error, and leaves the database exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from chat.actions import (
    InboundMessage,
    do_close,
    do_edit_inbound,
    do_mark_delivery,
    do_open_conversation,
    do_operator_reply,
    do_receive_inbound,
    do_set_operator_status,
    do_set_reason,
    do_transfer,
)
from chat.actions.setup import do_ensure_queue, do_ensure_reason
from chat.errors import (
    ChatError,
    ConversationClosed,
    Forbidden,
    InvalidInput,
    InvalidReason,
    NotFound,
    OperatorUnavailable,
    WrongState,
)
from chat.models import Conversation, Message, Reason
from tests.chat.conftest import go, stored_state

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

MISSING = 987_654


@dataclass
class Scene:
    """Anna has a chat and closed another; Boris is full; Erik is free; the rest can't take chats."""

    anna: int
    boris: int
    carl_away: int
    dora_offline: int
    sofia_stylist: int
    erik: int
    anna_chat: int
    boris_chat: int
    closed_chat: int
    queued_chat: int
    anna_reply: int
    reason: int
    retired_reason: int


@pytest.fixture
def scene(make_operator, shopper_writes, reason: Reason) -> Scene:
    anna = go(make_operator("Anna"), "online")
    anna_chat = shopper_writes("s-anna", "Where is my parcel?").conversation.pk
    closed_chat = shopper_writes("s-closed", "Thanks, bye").conversation.pk
    do_close(conversation_id=closed_chat, operator_id=anna.pk, reason_id=reason.pk)
    boris = go(make_operator("Boris", cap=1), "online")
    boris_chat = shopper_writes("s-boris").conversation.pk
    erik = go(make_operator("Erik"), "online")
    carl = go(go(make_operator("Carl"), "online"), "away")
    dora = make_operator("Dora")
    sofia = go(make_operator("Sofia", skills=["stylist"]), "online")
    do_ensure_queue(slug="returns", name="Returns", skill_slug="returns", skill_name="Returns")
    queued_chat = shopper_writes("s-returns", queue_slug="returns").conversation.pk
    anna_reply = do_operator_reply(conversation_id=anna_chat, operator_id=anna.pk, text="Let me look.").pk
    retired = do_ensure_reason(slug="old", category="Old", name_en="Retired", name_ru="Устарела")
    Reason.objects.filter(pk=retired.pk).update(is_active=False)  # retiring is done in the admin

    states = dict(Conversation.objects.values_list("pk", "state"))
    assert states == {anna_chat: "active", closed_chat: "closed", boris_chat: "active", queued_chat: "queued"}
    assert Conversation.objects.get(pk=anna_chat).operator_id == anna.pk
    assert Conversation.objects.get(pk=boris_chat).operator_id == boris.pk
    return Scene(
        anna=anna.pk,
        boris=boris.pk,
        carl_away=carl.pk,
        dora_offline=dora.pk,
        sofia_stylist=sofia.pk,
        erik=erik.pk,
        anna_chat=anna_chat,
        boris_chat=boris_chat,
        closed_chat=closed_chat,
        queued_chat=queued_chat,
        anna_reply=anna_reply,
        reason=reason.pk,
        retired_reason=retired.pk,
    )


def inbound(**overrides: Any) -> InboundMessage:
    fields: dict[str, Any] = {"connector": "widget", "sender_id": "s-new", "text": "hello", "external_id": "x-1"}
    return InboundMessage(**{**fields, **overrides})


def reply(s: Scene, text: str) -> None:
    do_operator_reply(conversation_id=s.anna_chat, operator_id=s.anna, text=text)


def transfer_to(s: Scene, operator_id: int) -> None:
    do_transfer(conversation_id=s.anna_chat, actor_operator_id=s.anna, to_operator_id=operator_id)


Case = tuple[str, type[ChatError], Callable[[Scene], object]]

CASES: list[Case] = [
    # Unknown operator
    (
        "reply-unknown-operator",
        NotFound,
        lambda s: do_operator_reply(conversation_id=s.anna_chat, operator_id=MISSING, text="hi"),
    ),
    (
        "close-unknown-operator",
        NotFound,
        lambda s: do_close(conversation_id=s.anna_chat, operator_id=MISSING, reason_id=s.reason),
    ),
    (
        "transfer-unknown-actor",
        NotFound,
        lambda s: do_transfer(conversation_id=s.anna_chat, actor_operator_id=MISSING, to_operator_id=s.erik),
    ),
    ("transfer-to-unknown-operator", NotFound, lambda s: transfer_to(s, MISSING)),
    ("status-unknown-operator", NotFound, lambda s: do_set_operator_status(operator_id=MISSING, status="online")),
    (
        "reason-unknown-operator",
        NotFound,
        lambda s: do_set_reason(conversation_id=s.closed_chat, operator_id=MISSING, reason_id=s.reason),
    ),
    # Unknown conversation, queue, message
    (
        "reply-unknown-conversation",
        NotFound,
        lambda s: do_operator_reply(conversation_id=MISSING, operator_id=s.anna, text="hi"),
    ),
    (
        "close-unknown-conversation",
        NotFound,
        lambda s: do_close(conversation_id=MISSING, operator_id=s.anna, reason_id=s.reason),
    ),
    (
        "transfer-unknown-conversation",
        NotFound,
        lambda s: do_transfer(conversation_id=MISSING, actor_operator_id=s.anna, to_operator_id=s.erik),
    ),
    (
        "reason-unknown-conversation",
        NotFound,
        lambda s: do_set_reason(conversation_id=MISSING, operator_id=s.anna, reason_id=s.reason),
    ),
    (
        "transfer-unknown-queue",
        NotFound,
        lambda s: do_transfer(conversation_id=s.anna_chat, actor_operator_id=s.anna, to_queue_id=MISSING),
    ),
    ("inbound-unknown-queue", NotFound, lambda s: do_receive_inbound(inbound(queue_slug="no-such-queue"))),
    (
        "open-unknown-queue",
        NotFound,
        lambda s: do_open_conversation(connector="widget", sender_id="s-new", queue_slug="nope"),
    ),
    ("delivery-unknown-message", NotFound, lambda s: do_mark_delivery(message_id=MISSING, state="sent")),
    # Closed conversation
    (
        "reply-closed",
        ConversationClosed,
        lambda s: do_operator_reply(conversation_id=s.closed_chat, operator_id=s.anna, text="hi"),
    ),
    (
        "close-closed",
        ConversationClosed,
        lambda s: do_close(conversation_id=s.closed_chat, operator_id=s.anna, reason_id=s.reason),
    ),
    ("shopper-close-closed", ConversationClosed, lambda s: do_close(conversation_id=s.closed_chat, by="shopper")),
    (
        "transfer-closed",
        ConversationClosed,
        lambda s: do_transfer(conversation_id=s.closed_chat, actor_operator_id=s.anna, to_operator_id=s.erik),
    ),
    # Transfer targets that can't take the chat
    ("transfer-to-full-operator", OperatorUnavailable, lambda s: transfer_to(s, s.boris)),
    ("transfer-to-away-operator", OperatorUnavailable, lambda s: transfer_to(s, s.carl_away)),
    ("transfer-to-offline-operator", OperatorUnavailable, lambda s: transfer_to(s, s.dora_offline)),
    ("transfer-to-operator-without-skill", OperatorUnavailable, lambda s: transfer_to(s, s.sofia_stylist)),
    ("transfer-to-self", InvalidInput, lambda s: transfer_to(s, s.anna)),
    ("transfer-to-nowhere", InvalidInput, lambda s: do_transfer(conversation_id=s.anna_chat, actor_operator_id=s.anna)),
    (
        "transfer-to-both",
        InvalidInput,
        lambda s: do_transfer(
            conversation_id=s.anna_chat, actor_operator_id=s.anna, to_operator_id=s.erik, to_queue_id=1
        ),
    ),
    (
        "transfer-queued",
        WrongState,
        lambda s: do_transfer(conversation_id=s.queued_chat, actor_operator_id=s.anna, to_operator_id=s.erik),
    ),
    # Close reasons
    ("close-without-reason", InvalidReason, lambda s: do_close(conversation_id=s.anna_chat, operator_id=s.anna)),
    (
        "close-reason-not-in-list",
        InvalidReason,
        lambda s: do_close(conversation_id=s.anna_chat, operator_id=s.anna, reason_id=MISSING),
    ),
    (
        "close-retired-reason",
        InvalidReason,
        lambda s: do_close(conversation_id=s.anna_chat, operator_id=s.anna, reason_id=s.retired_reason),
    ),
    (
        "shopper-close-retired-reason",
        InvalidReason,
        lambda s: do_close(conversation_id=s.anna_chat, by="shopper", reason_id=s.retired_reason),
    ),
    ("close-by-nobody", InvalidInput, lambda s: do_close(conversation_id=s.anna_chat, reason_id=s.reason)),
    ("close-by-robot", InvalidInput, lambda s: do_close(conversation_id=s.anna_chat, by="robot")),
    (
        "reason-on-active-chat",
        WrongState,
        lambda s: do_set_reason(conversation_id=s.anna_chat, operator_id=s.anna, reason_id=s.reason),
    ),
    (
        "reason-retired",
        InvalidReason,
        lambda s: do_set_reason(conversation_id=s.closed_chat, operator_id=s.anna, reason_id=s.retired_reason),
    ),
    # Operator text
    ("reply-empty", InvalidInput, lambda s: reply(s, "")),
    ("reply-whitespace", InvalidInput, lambda s: reply(s, " \n\t ")),
    ("reply-too-long", InvalidInput, lambda s: reply(s, "x" * 4097)),
    ("reply-nul", InvalidInput, lambda s: reply(s, "before\x00after")),
    ("reply-not-text", InvalidInput, lambda s: reply(s, b"bytes")),  # type: ignore[arg-type]
    # Shopper text and connectors
    ("inbound-empty", InvalidInput, lambda s: do_receive_inbound(inbound(text=""))),
    ("inbound-whitespace", InvalidInput, lambda s: do_receive_inbound(inbound(text="   "))),
    ("inbound-too-long", InvalidInput, lambda s: do_receive_inbound(inbound(text="я" * 4097))),
    ("inbound-nul", InvalidInput, lambda s: do_receive_inbound(inbound(text="a\x00"))),
    ("inbound-no-sender", InvalidInput, lambda s: do_receive_inbound(inbound(sender_id=""))),
    ("inbound-unknown-connector", InvalidInput, lambda s: do_receive_inbound(inbound(connector="fax"))),
    ("open-unknown-connector", InvalidInput, lambda s: do_open_conversation(connector="fax", sender_id="s-new")),
    ("edit-unknown-connector", InvalidInput, lambda s: do_edit_inbound(connector="fax", external_id="x-1", text="hi")),
    ("edit-too-long", InvalidInput, lambda s: do_edit_inbound(connector="widget", external_id="x-1", text="x" * 4097)),
    # Someone else's conversation
    (
        "reply-someone-elses",
        Forbidden,
        lambda s: do_operator_reply(conversation_id=s.anna_chat, operator_id=s.erik, text="hi"),
    ),
    (
        "reply-queued",
        Forbidden,
        lambda s: do_operator_reply(conversation_id=s.queued_chat, operator_id=s.erik, text="hi"),
    ),
    (
        "close-someone-elses",
        Forbidden,
        lambda s: do_close(conversation_id=s.anna_chat, operator_id=s.erik, reason_id=s.reason),
    ),
    (
        "transfer-someone-elses",
        Forbidden,
        lambda s: do_transfer(conversation_id=s.anna_chat, actor_operator_id=s.erik, to_operator_id=s.carl_away),
    ),
    (
        "reason-someone-elses",
        Forbidden,
        lambda s: do_set_reason(conversation_id=s.closed_chat, operator_id=s.erik, reason_id=s.reason),
    ),
    # Other bad values
    ("status-unknown", InvalidInput, lambda s: do_set_operator_status(operator_id=s.anna, status="busy")),
    ("delivery-unknown-state", InvalidInput, lambda s: do_mark_delivery(message_id=s.anna_reply, state="lost")),
]


def test_every_refused_action_raises_its_error_and_writes_nothing(scene: Scene, subtests: Any) -> None:
    """One scene for all cases: each refusal must leave it untouched, so the next case sees the same."""
    before = stored_state()
    for name, error, action in CASES:
        with subtests.test(msg=name):
            with pytest.raises(error) as raised:
                action(scene)
            assert type(raised.value) is error
            assert raised.value.code == error.code and raised.value.message
            assert stored_state() == before


def test_the_limits_themselves_are_accepted_and_stored_exactly(scene: Scene) -> None:
    longest = "ж" * 4096
    assert do_operator_reply(conversation_id=scene.anna_chat, operator_id=scene.anna, text=longest).text == longest
    received = do_receive_inbound(inbound(text="y" * 4096))
    assert Message.objects.get(pk=received.message.pk).text == "y" * 4096


def test_an_operator_may_close_after_a_refused_close(scene: Scene) -> None:
    """A refusal leaves the chat usable: the same close with a valid reason goes through."""
    with pytest.raises(InvalidReason):
        do_close(conversation_id=scene.anna_chat, operator_id=scene.anna)
    closed = do_close(conversation_id=scene.anna_chat, operator_id=scene.anna, reason_id=scene.reason)
    assert closed.state == "closed" and closed.reason_id == scene.reason
