"""A shopper's message on its way in: stored once and exactly, queued, announced only once committed."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection, connections, transaction
from django.test import override_settings
from django.utils import timezone

from chat import events
from chat.actions import (
    InboundMessage,
    do_close,
    do_operator_connected,
    do_operator_disconnected,
    do_operator_heartbeat,
    do_receive_inbound,
    do_sweep_disconnected_operators,
)
from chat.models import Contact, Conversation, Event, Message, Operator, OperatorConnection
from chat.selectors import QueuePlace, estimated_wait_seconds, queue_place, queue_places
from tests.chat.conftest import go

pytestmark = pytest.mark.django_db(transaction=True)
embedded = pytest.mark.embedded


def queued(conversation_id: int) -> QueuePlace:
    """The place of a chat the test knows is queued (``queue_place`` is None once it left the queue)."""
    place = queue_place(conversation_id)
    assert place is not None
    return place


def wait_of(place: QueuePlace) -> int:
    """The estimate of a queue where someone can answer (None only when nobody can)."""
    assert place.estimated_wait_seconds is not None
    return place.estimated_wait_seconds


def inbound(sender: str = "s-1", text: str = "hello", **fields: Any) -> InboundMessage:
    return InboundMessage(connector=fields.pop("connector", "widget"), sender_id=sender, text=text, **fields)


@embedded
def test_a_repeated_external_id_is_stored_once(queues) -> None:
    first = do_receive_inbound(inbound(text="Where is my order?", external_id="tg-1"))
    again = do_receive_inbound(inbound(text="Where is my order?", external_id="tg-1"))
    assert not first.duplicate and again.duplicate
    assert again.message.pk == first.message.pk and again.conversation.pk == first.conversation.pk
    assert Message.objects.count() == 1
    # The same id from another connector is another message.
    do_receive_inbound(inbound(text="Hi", external_id="tg-1", connector="vk"))
    assert Message.objects.count() == 2


@pytest.mark.skipif(connection.vendor == "sqlite", reason="concurrent writers need PostgreSQL; SQLite serialises")
def test_two_threads_delivering_the_same_message_store_it_once(queues) -> None:
    """A webhook retry racing the original: both pass the "seen it?" check, only one row may win."""
    rounds = 8
    for n in range(rounds):
        start = threading.Barrier(2)
        results: list[Any] = []
        errors: list[BaseException] = []

        def deliver(
            n: int = n,
            start: threading.Barrier = start,
            results: list[Any] = results,
            errors: list[BaseException] = errors,
        ) -> None:
            try:
                start.wait()
                results.append(do_receive_inbound(inbound(sender=f"race-{n}", text=f"msg {n}", external_id=f"e-{n}")))
            except BaseException as exc:
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=deliver) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert errors == []
        assert sorted(r.duplicate for r in results) == [False, True]
        assert len({r.message.pk for r in results}) == 1
    assert Message.objects.count() == rounds
    assert Conversation.objects.count() == rounds
    assert Contact.objects.count() == rounds


@embedded
@pytest.mark.parametrize(
    "text",
    [
        "<script>alert('x')</script> &amp; <b>bold</b>",
        "Family 👩‍👩‍👧 and flags 🇷🇺🇬🇧, é vs é",
        "  leading and trailing  \n\n\tindented\r\nwindows line  ",
        "Привет! Где мой заказ №12345?",
    ],
)
def test_text_is_stored_exactly_as_written(queues, text: str) -> None:
    received = do_receive_inbound(inbound(text=text, external_id="x"))
    assert Message.objects.get(pk=received.message.pk).text == text


@embedded
def test_writing_after_close_opens_a_new_conversation_linked_to_the_last(make_operator, reason) -> None:
    anna = go(make_operator("Anna"), "online")
    first = do_receive_inbound(inbound(text="Where is my order?")).conversation
    follow_up = do_receive_inbound(inbound(text="It is order 42")).conversation
    assert follow_up.pk == first.pk
    do_close(conversation_id=first.pk, operator_id=anna.pk, reason_id=reason.pk)
    again = do_receive_inbound(inbound(text="One more question")).conversation
    assert again.pk != first.pk
    again = Conversation.objects.get(pk=again.pk)
    assert again.previous_id == first.pk
    assert again.state == "active" and again.operator_id == anna.pk
    assert Conversation.objects.get(pk=first.pk).state == "closed"
    assert list(again.messages.values_list("text", flat=True)) == ["One more question"]


class Rollback(Exception):
    pass


class Listener:
    """A real channel-layer channel in a group, read all along so no receive is ever cancelled."""

    def __init__(self, group: str) -> None:
        self.group = group
        self.received: list[dict[str, Any]] = []

    async def __aenter__(self) -> Listener:
        self.layer = get_channel_layer()
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(self.group, self.channel)
        self.task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        while True:
            self.received.append(await self.layer.receive(self.channel))

    async def __aexit__(self, *exc: object) -> None:
        await self.layer.group_discard(self.group, self.channel)
        self.task.cancel()

    async def wait_for(self, kind: str, seconds: float) -> dict[str, Any] | None:
        for _ in range(int(seconds * 20)):
            found = [event for event in self.received if event["kind"] == kind]
            if found:
                return found[0]
            await asyncio.sleep(0.05)
        return None


@embedded
async def test_events_are_broadcast_only_after_commit(queues) -> None:
    events_before = await Event.objects.acount()

    def write_then_roll_back() -> None:
        with contextlib.suppress(Rollback), transaction.atomic():
            do_receive_inbound(inbound(text="never happened", external_id="r-1"))
            raise Rollback

    def write_and_commit(listener: Listener) -> None:
        with transaction.atomic():
            do_receive_inbound(inbound(text="this one stays", external_id="c-1"))
            time.sleep(0.5)
            # Still inside the transaction: nothing may have gone out yet.
            assert listener.received == []

    async with Listener(events.STAFF) as listener:
        await sync_to_async(write_then_roll_back)()
        await asyncio.sleep(1.0)
        assert listener.received == []
        assert await Message.objects.acount() == 0 and await Event.objects.acount() == events_before

        await sync_to_async(write_and_commit)(listener)
        event = await listener.wait_for("message.new", 5.0)
    assert event is not None and event["payload"]["text"] == "this one stays"
    assert await Event.objects.filter(pk=event["id"], kind="message.new").aexists()
    await sync_to_async(connections.close_all)()  # the ORM thread's connection, before the test DB goes


@embedded
def test_an_operator_gone_past_the_grace_period_gives_chats_back_keeping_their_place(make_operator) -> None:
    anna = go(make_operator("Anna", cap=2), "online")
    do_operator_connected(operator_id=anna.pk, connection_key="tab-1")
    chats = [do_receive_inbound(inbound(sender=f"s{i}")).conversation.pk for i in range(3)]
    queued_at = dict(Conversation.objects.filter(pk__in=chats).values_list("pk", "queued_at"))
    assert Conversation.objects.get(pk=chats[0]).operator_id == anna.pk

    do_operator_disconnected(operator_id=anna.pk, connection_key="tab-1")
    assert do_sweep_disconnected_operators() == []  # within the default 60 s grace nothing happens
    assert Operator.objects.get(pk=anna.pk).status == "online"

    with override_settings(SWITCHBOARD_OFFLINE_GRACE_SECONDS=0):
        assert do_sweep_disconnected_operators() == [anna.pk]
    anna.refresh_from_db()
    assert anna.status == "offline" and anna.active_count == 0
    rows = {c.pk: c for c in Conversation.objects.filter(pk__in=chats)}
    assert all(rows[pk].state == "queued" and rows[pk].operator_id is None for pk in chats)
    assert {pk: rows[pk].queued_at for pk in chats} == queued_at
    # Their original queue time puts the two returned chats ahead of the one that was waiting.
    assert [queued(pk).position for pk in chats] == [1, 2, 3]


@embedded
def test_a_second_tab_keeps_the_operator_online(make_operator) -> None:
    anna = go(make_operator("Anna"), "online")
    do_operator_connected(operator_id=anna.pk, connection_key="tab-1")
    do_operator_connected(operator_id=anna.pk, connection_key="tab-2")
    do_operator_disconnected(operator_id=anna.pk, connection_key="tab-1")
    with override_settings(SWITCHBOARD_OFFLINE_GRACE_SECONDS=0):
        assert do_sweep_disconnected_operators() == []
    assert Operator.objects.get(pk=anna.pk).status == "online"


@embedded
def test_a_tab_whose_heartbeat_stopped_expires_and_its_chats_go_back_to_the_queue(make_operator) -> None:
    """A crash or a kill -9 never says goodbye: the connection's silence is what takes it away."""
    anna = go(make_operator("Anna"), "online")
    do_operator_connected(operator_id=anna.pk, connection_key="crashed-tab")
    chat = do_receive_inbound(inbound(sender="s1")).conversation.pk
    assert Conversation.objects.get(pk=chat).operator_id == anna.pk
    with override_settings(SWITCHBOARD_PRESENCE_EXPIRY_SECONDS=0.2, SWITCHBOARD_OFFLINE_GRACE_SECONDS=0.2):
        assert do_sweep_disconnected_operators() == []  # beating a moment ago: alive
        time.sleep(0.5)
        assert do_sweep_disconnected_operators() == [anna.pk]
    anna.refresh_from_db()
    assert anna.status == "offline" and anna.active_count == 0
    assert not OperatorConnection.objects.filter(operator=anna).exists()
    assert Conversation.objects.get(pk=chat).state == "queued"
    # Nobody with a workspace open: the next shopper waits instead of going to Anna.
    assert do_receive_inbound(inbound(sender="s2")).conversation.operator_id is None


@embedded
def test_a_beating_tab_stays_online_and_a_swept_one_that_beats_again_comes_back(make_operator) -> None:
    anna = go(make_operator("Anna"), "online")
    do_operator_connected(operator_id=anna.pk, connection_key="slow-tab")
    with override_settings(SWITCHBOARD_PRESENCE_EXPIRY_SECONDS=0.2, SWITCHBOARD_OFFLINE_GRACE_SECONDS=30):
        time.sleep(0.3)
        assert do_sweep_disconnected_operators() == []  # expired, but still within the grace period
        assert not OperatorConnection.objects.filter(operator=anna).exists()
        # The process was only stalled: its next beat restores the connection.
        do_operator_heartbeat(operator_id=anna.pk, connection_key="slow-tab")
        assert OperatorConnection.objects.filter(operator=anna).count() == 1
        for _ in range(3):
            time.sleep(0.1)
            do_operator_heartbeat(operator_id=anna.pk, connection_key="slow-tab")
            assert do_sweep_disconnected_operators() == []
    with override_settings(SWITCHBOARD_OFFLINE_GRACE_SECONDS=0):
        assert do_sweep_disconnected_operators() == []
    assert Operator.objects.get(pk=anna.pk).status == "online"


@embedded
def test_queue_position_and_estimated_wait_by_hand(make_operator, reason) -> None:
    """Comm100: EWT = (floor((N - 1) / X) + 1) x AHT.

    Two past chats took 100 s and 300 s: AHT = 200 s. Online general slots: Anna 2 + Boris 3 = 5
    (away Carl and stylist Sofia don't count). All five slots are busy and seven shoppers wait:
    positions 1-5 wait 200 s, 6-7 wait 400 s.
    """
    anna = go(make_operator("Anna", cap=2), "online")
    past = [do_receive_inbound(inbound(sender=f"past-{i}")).conversation.pk for i in range(2)]
    for pk, seconds in zip(past, (100, 300), strict=True):
        do_close(conversation_id=pk, operator_id=anna.pk, reason_id=reason.pk)
        closed_at = Conversation.objects.get(pk=pk).closed_at
        assert closed_at is not None
        # Test setup: say how long each past chat took.
        Conversation.objects.filter(pk=pk).update(assigned_at=closed_at - timedelta(seconds=seconds))
    go(make_operator("Boris", cap=3), "online")
    go(go(make_operator("Carl"), "online"), "away")
    go(make_operator("Sofia", skills=["stylist"]), "online")
    busy = [do_receive_inbound(inbound(sender=f"busy-{i}")).conversation.pk for i in range(5)]
    assert set(Conversation.objects.filter(pk__in=busy).values_list("state", flat=True)) == {"active"}
    waiting = [do_receive_inbound(inbound(sender=f"wait-{i}")).conversation.pk for i in range(7)]
    do_receive_inbound(inbound(sender="stylist-fan", queue_slug="stylist"))  # another queue: no effect

    places = [queued(pk) for pk in waiting]
    assert [p.position for p in places] == [1, 2, 3, 4, 5, 6, 7]
    # The five chats were taken a moment ago: each slot frees in about one handle time.
    assert [round(wait_of(p), -1) for p in places] == [200] * 5 + [400] * 2
    listed = {p.conversation_id: p for p in queue_places(limit=100)}
    assert [listed[pk].position for pk in waiting] == [p.position for p in places]
    # Read a moment later: the held chats ran a little longer, so the waits may be a second shorter.
    assert all(0 <= wait_of(p) - wait_of(listed[p.conversation_id]) <= 2 for p in places)

    assert estimated_wait_seconds(position=11, capacity=5, handle_seconds=200) == 600
    assert estimated_wait_seconds(position=1, capacity=0, handle_seconds=200) is None


@embedded
def test_estimated_wait_follows_the_load_and_says_when_nobody_can_answer(make_operator, reason) -> None:
    """The wait counts the time the held chats already took, more operators shorten it, and the
    stylist queue with no stylist online has no estimate but says so (and offers a message)."""
    anna = go(make_operator("Anna", cap=2), "online")
    past = do_receive_inbound(inbound(sender="past")).conversation.pk
    do_close(conversation_id=past, operator_id=anna.pk, reason_id=reason.pk)
    closed_at = Conversation.objects.get(pk=past).closed_at
    assert closed_at is not None
    Conversation.objects.filter(pk=past).update(assigned_at=closed_at - timedelta(seconds=300))  # AHT 300 s
    held = [do_receive_inbound(inbound(sender=f"held-{i}")).conversation.pk for i in range(2)]
    waiting = [do_receive_inbound(inbound(sender=f"wait-{i}")).conversation.pk for i in range(3)]
    fresh = [wait_of(queued(pk)) for pk in waiting]
    assert [round(w, -1) for w in fresh] == [300, 300, 600]

    # Anna's two chats have run four minutes: the first slot frees in about a minute.
    Conversation.objects.filter(pk__in=held).update(assigned_at=timezone.now() - timedelta(seconds=240))
    later = [wait_of(queued(pk)) for pk in waiting]
    assert [round(w, -1) for w in later] == [60, 60, 360]

    # Boris comes online: he takes the head of the queue at once; the rest wait less than before.
    go(make_operator("Boris", cap=1), "online")
    left = [pk for pk in waiting if Conversation.objects.get(pk=pk).state == "queued"]
    assert len(left) == 2
    assert [round(wait_of(queued(pk)), -1) for pk in left] == [60, 60]
    assert queued(left[0]).nobody_online is False

    stylist = do_receive_inbound(inbound(sender="stylist-fan", queue_slug="stylist")).conversation.pk
    place = queued(stylist)
    assert place.estimated_wait_seconds is None
    assert place.nobody_online is True
    assert place.offer_message is True


@embedded
def test_a_long_wait_offers_to_leave_a_message(make_operator) -> None:
    go(make_operator("Anna", cap=1), "online")
    do_receive_inbound(inbound(sender="held"))
    waiting = do_receive_inbound(inbound(sender="waits")).conversation.pk
    assert queued(waiting).offer_message is False
    with override_settings(SWITCHBOARD_OFFER_MESSAGE_AFTER_SECONDS=60):
        Conversation.objects.filter(pk=waiting).update(queued_at=timezone.now() - timedelta(seconds=61))
        assert queued(waiting).offer_message is True
        assert queued(waiting).nobody_online is False
