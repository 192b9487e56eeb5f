"""Day rollups stay exact: a change to a finished day makes it stale, a racing change is not lost.

(Every figure of the hand-built day is also checked read both ways: see ``built_day`` in conftest.)
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command

import chat.actions.metrics_days as metrics_days
from chat.actions import do_set_reason
from chat.actions.ratings import do_rate_conversation
from chat.actions.setup import do_create_operator
from chat.metrics import MetricFilters, plan, summary, volume_by_reason
from chat.models import MetricsDay
from chat.tasks import roll_up_metrics_days
from tests.dashboards.conftest import DAY

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.embedded,
    # The day is built once per test here, as written; the rollups are driven by each test.
    pytest.mark.parametrize("built_day", ["raw"], indirect=True),
]

WHOLE_DAY = MetricFilters(start=DAY, end=DAY + timedelta(days=1))


def is_fresh() -> bool:
    return plan(WHOLE_DAY).days == (DAY.date(),)


@pytest.fixture
def rolled_day(built_day, clock):
    """The day rolled up; two days later a manager who can tag any chat."""
    day = built_day()
    clock.current = DAY + timedelta(days=2, hours=10)
    assert metrics_days.do_roll_up_days() == [DAY.date() + timedelta(days=1), DAY.date()]
    assert is_fresh()
    day.max = do_create_operator(username="max", password="pw-123456", display_name="Max", is_manager=True)
    return day


def test_a_change_to_a_finished_day_makes_it_stale_and_the_figures_stay_right(rolled_day, reason):
    # C3 was closed by its shopper without a reason; a manager tags it two days later.
    do_set_reason(conversation_id=rolled_day.chats["C3"].pk, operator_id=rolled_day.max.pk, reason_id=reason.pk)
    assert not is_fresh()
    assert volume_by_reason(WHOLE_DAY) == [("Order: where is it", 8), ("", 1)]
    # C5's shopper rates it late (within the rating window): 5 ratings now, 3 of them 4-5 stars.
    do_rate_conversation(conversation_id=rolled_day.chats["C5"].pk, connector="widget", sender_id="s5", stars=4)
    result = summary(WHOLE_DAY)
    assert (result.ratings, result.csat, result.rating_distribution[4]) == (5, 60.0, 2)
    # The beat task rolls the day up again: fresh, with the same figures.
    assert roll_up_metrics_days() == 1
    assert is_fresh()
    assert volume_by_reason(WHOLE_DAY) == [("Order: where is it", 8), ("", 1)]
    assert summary(WHOLE_DAY).ratings == 5
    assert roll_up_metrics_days() == 0


def test_changes_to_todays_chats_mark_nothing(built_day, clock):
    built_day()
    marked = MetricsDay.objects.values_list("day", "stale_version")
    before = set(marked)
    # Everything of the built day happened on it (or after midnight to a chat of the day before:
    # C7's close, marked). Today's chats never touch the registry.
    clock.current = DAY + timedelta(days=1, hours=2)
    from chat.actions import InboundMessage, do_receive_inbound

    do_receive_inbound(InboundMessage(connector="widget", sender_id="late", text="hello"))
    assert set(marked) == before


def test_a_change_committed_during_a_rollup_leaves_the_day_stale(built_day, clock, reason, monkeypatch):
    day = built_day()
    manager = do_create_operator(username="max", password="pw-123456", display_name="Max", is_manager=True)
    real_volume_rows = metrics_days._volume_rows

    def volume_rows_with_a_change_meanwhile(*args, **kwargs):
        # The rollup has read the day's version; now a change lands before it stores its result.
        rows = real_volume_rows(*args, **kwargs)
        do_set_reason(conversation_id=day.chats["C6"].pk, operator_id=manager.pk, reason_id=reason.pk)
        return rows

    with monkeypatch.context() as patched:
        patched.setattr(metrics_days, "_volume_rows", volume_rows_with_a_change_meanwhile)
        assert metrics_days.do_roll_up_days() == [DAY.date()]
    # The rollup counted C6 without its reason; the day is left stale, so it is read raw.
    assert not is_fresh()
    assert volume_by_reason(WHOLE_DAY) == [("Order: where is it", 8), ("", 1)]
    metrics_days.do_roll_up_days()
    assert is_fresh()
    assert volume_by_reason(WHOLE_DAY) == [("Order: where is it", 8), ("", 1)]


def test_the_backfill_command_rolls_up_a_range(built_day, clock, capsys):
    built_day()
    MetricsDay.objects.all().delete()
    call_command("roll_up_metrics", "--from", "2026-03-09", "--to", "2026-03-10")
    assert "Rolled up 2 days" in capsys.readouterr().out
    assert is_fresh()
    # A day that has not ended (plus the grace) is never rolled up: it is still being written.
    assert not metrics_days.do_roll_up_day(DAY.date() + timedelta(days=1))
