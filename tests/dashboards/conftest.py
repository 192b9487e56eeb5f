"""A clock the chat actions read, and one hand-built day of chats whose figures are worked out by hand.

The day (2026-03-10, UTC), every chat written through the real actions at controlled times:

  09:00:00 Anna (cap 1, general + stylist) goes online.
  C1 10:00:00 s1 writes -> Anna at once (wait 0); reply 10:00:30 (FRT 30); close 10:05:00 (handle 300); 5 stars
  C2 10:00:10 s2 writes -> queued (Anna full); to Anna 10:05:00 (wait 290); reply 10:06:00 (FRT 350);
     close 10:09:00 (handle 240); 3 stars
  C3 10:05:05 s3 writes -> queued; the shopper closes it 10:05:20: abandoned after 15 s
  C4 10:06:00 s4 writes -> queued; Boris (cap 1) online 10:07:00 takes it (wait 60); Boris replies 10:08:00;
     10:10:00 Boris transfers it to Anna (the clock restarts); Anna replies 10:10:40 (FRT 40);
     Boris offline 10:12:00; Anna closes 10:15:00 (handle 10:07 -> 10:15 = 480); 4 stars, credited to Anna
  C5 10:20:00 s5 writes -> Anna (wait 0); reply 10:20:10 (FRT 10); close 10:40:00 (handle 1200); unrated
  C6 10:20:05 s6 writes -> queued, then silent: at 10:31:00 the system closes it (abandoned after 655 s)
  11:00:00 Anna's cap goes up to 2.
  C8 12:00:00 s8 asks for a stylist -> Anna (wait 0); reply 12:01:00 (FRT 60); close 12:10:00 (handle 600)
  C9 12:02:00 s9 writes -> Anna, her second chat (wait 0); reply 12:02:30 (FRT 30); close 12:05:00 (handle 180)
  C7 23:50:00 s7 writes -> Anna (wait 0); reply 23:50:20 (FRT 20); close 00:10:00 next day (handle 1200); 1 star
  Anna goes offline 00:30:00 next day. The clock stops at 01:00:00 next day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from chat.actions import (
    InboundMessage,
    do_close,
    do_operator_reply,
    do_receive_inbound,
    do_set_operator_status,
    do_transfer,
)
from chat.actions.metrics_days import do_roll_up_days
from chat.actions.ratings import do_rate_conversation
from chat.actions.setup import do_create_operator
from chat.metrics import MetricFilters, plan
from chat.models import Conversation, Operator, Queue, Reason

# The browser tests here use the live daphne and Chromium of tests/browser.
from tests.browser.conftest import chromium, live_daphne, new_context, new_page  # noqa: F401

DAY = datetime(2026, 3, 10, tzinfo=UTC)


class Clock:
    """Stands in for ``timezone.now``: the actions stamp the times the test sets."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def at(self, hh: int, mm: int, ss: int = 0, *, next_day: bool = False) -> None:
        self.current = DAY + timedelta(days=1 if next_day else 0, hours=hh, minutes=mm, seconds=ss)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(DAY)
    monkeypatch.setattr(timezone, "now", fake)
    return fake


@dataclass
class Day:
    anna: Operator
    boris: Operator
    chats: dict[str, Conversation]


@pytest.fixture(params=["raw", "rolled up"])
def built_day(
    request: pytest.FixtureRequest, clock: Clock, queues: dict[str, Queue], reason: Reason, settings: object
) -> Callable[[], Day]:
    """The day, read from raw rows or from its day rollups: every figure must come out the same."""

    def build() -> Day:
        from chat.actions.housekeeping import do_close_silent_queued as close_silent_queued

        anna = do_create_operator(
            username="anna", password="pw-123456", display_name="Anna", skills=("general", "stylist"), cap=1
        )
        boris = do_create_operator(username="boris", password="pw-123456", display_name="Boris", cap=1)
        chats: dict[str, Conversation] = {}

        def write(name: str, sender: str, **kwargs: object) -> None:
            received = do_receive_inbound(
                InboundMessage(connector="widget", sender_id=sender, text="hello", **kwargs)  # type: ignore[arg-type]
            )
            chats[name] = received.conversation

        def reply(name: str, operator: Operator) -> None:
            do_operator_reply(conversation_id=chats[name].pk, operator_id=operator.pk, text="On it")

        def close(name: str, operator: Operator) -> None:
            do_close(conversation_id=chats[name].pk, operator_id=operator.pk, reason_id=reason.pk)

        def rate(name: str, sender: str, stars: int) -> None:
            do_rate_conversation(conversation_id=chats[name].pk, connector="widget", sender_id=sender, stars=stars)

        clock.at(9, 0)
        do_set_operator_status(operator_id=anna.pk, status="online")
        clock.at(10, 0)
        write("C1", "s1")
        clock.at(10, 0, 10)
        write("C2", "s2")
        clock.at(10, 0, 30)
        reply("C1", anna)
        clock.at(10, 5)
        close("C1", anna)
        rate("C1", "s1", 5)
        clock.at(10, 5, 5)
        write("C3", "s3")
        clock.at(10, 5, 20)
        do_close(conversation_id=chats["C3"].pk, by="shopper")
        clock.at(10, 6)
        reply("C2", anna)
        write("C4", "s4")
        clock.at(10, 7)
        do_set_operator_status(operator_id=boris.pk, status="online")
        clock.at(10, 8)
        reply("C4", boris)
        clock.at(10, 9)
        close("C2", anna)
        rate("C2", "s2", 3)
        clock.at(10, 10)
        do_transfer(conversation_id=chats["C4"].pk, actor_operator_id=boris.pk, to_operator_id=anna.pk)
        clock.at(10, 10, 40)
        reply("C4", anna)
        clock.at(10, 12)
        do_set_operator_status(operator_id=boris.pk, status="offline")
        clock.at(10, 15)
        close("C4", anna)
        rate("C4", "s4", 4)
        clock.at(10, 20)
        write("C5", "s5")
        clock.at(10, 20, 5)
        write("C6", "s6")
        clock.at(10, 20, 10)
        reply("C5", anna)
        clock.at(10, 31)
        assert close_silent_queued(silent_seconds=600) == [chats["C6"].pk]
        clock.at(10, 40)
        close("C5", anna)
        clock.at(11, 0)
        do_create_operator(
            username="anna", password="pw-123456", display_name="Anna", skills=("general", "stylist"), cap=2
        )
        clock.at(12, 0)
        write("C8", "s8", queue_slug="stylist")
        clock.at(12, 1)
        reply("C8", anna)
        clock.at(12, 2)
        write("C9", "s9")
        clock.at(12, 2, 30)
        reply("C9", anna)
        clock.at(12, 5)
        close("C9", anna)
        clock.at(12, 10)
        close("C8", anna)
        clock.at(23, 50)
        write("C7", "s7")
        clock.at(23, 50, 20)
        reply("C7", anna)
        clock.at(0, 10, next_day=True)
        close("C7", anna)
        rate("C7", "s7", 1)
        clock.at(0, 30, next_day=True)
        do_set_operator_status(operator_id=anna.pk, status="offline")
        clock.at(1, 0, next_day=True)
        anna.refresh_from_db()
        boris.refresh_from_db()
        whole_day = MetricFilters(start=DAY, end=DAY + timedelta(days=1))
        if request.param == "rolled up":
            assert do_roll_up_days() == [DAY.date()]
            assert plan(whole_day, volume=True).days == (DAY.date(),)
        else:
            assert plan(whole_day).raw == (whole_day,)
        return Day(anna=anna, boris=boris, chats={k: Conversation.objects.get(pk=v.pk) for k, v in chats.items()})

    return build
