"""Every metric on the hand-built day of tests/dashboards/conftest.py, the answers worked out by hand.

Percentiles follow percentile_cont: sort the n values, take position p x (n - 1), interpolate
between the two values around it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from chat.metrics import (
    MetricFilters,
    concurrency_and_occupancy,
    consultations,
    operator_table,
    operator_time,
    summary,
    summary_with_time,
    volume_by_connector,
    volume_by_day,
    volume_by_hour,
    volume_by_reason,
)
from tests.dashboards.conftest import DAY

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

WHOLE_DAY = MetricFilters(start=DAY, end=DAY + timedelta(days=1))
NEXT_DAY = MetricFilters(start=DAY + timedelta(days=1), end=DAY + timedelta(days=2))


def test_volume_waits_and_abandonment(built_day):
    built_day()
    result = summary(WHOLE_DAY)
    # C1..C9 opened on the day; C7 closed after midnight still counts on the day it opened.
    assert result.offered == 9
    # Answered: C1 C2 C4 C5 C7 C8 C9; abandoned: C3 (shopper left) and C6 (silent, closed by the system).
    assert (result.answered, result.abandoned) == (7, 2)
    assert result.abandonment_rate == pytest.approx(0.2222)  # 2 / 9
    # Waits: C1 0, C2 290, C4 60, C5 0, C7 0, C8 0, C9 0; sorted [0, 0, 0, 0, 0, 60, 290].
    assert result.queue_wait.count == 7
    assert result.queue_wait.mean == pytest.approx(50.0)  # 350 / 7
    assert result.queue_wait.p50 == pytest.approx(0.0)  # position 3 -> 0
    assert result.queue_wait.p90 == pytest.approx(152.0)  # position 5.4 -> 60 + 0.4 x (290 - 60)
    # Service level, T = 20 s: answered within T C1 C5 C7 C8 C9 = 5; abandoned within T: C3 (15 s) = 1.
    assert result.service_level == pytest.approx(0.625)  # 5 / (9 - 1)


def test_service_level_threshold_is_a_setting(built_day, settings):
    built_day()
    settings.SWITCHBOARD_SERVICE_LEVEL_SECONDS = 60
    # Within 60 s: C1 C4 C5 C7 C8 C9 = 6 answered; abandoned within 60 s: C3 = 1; 6 / (9 - 1).
    assert summary(WHOLE_DAY).service_level == pytest.approx(0.75)
    # And per call (a target's own T): within 300 s also C2 -> 7 / 8.
    assert summary(WHOLE_DAY, service_level_seconds=300).service_level == pytest.approx(0.875)


def test_first_response_restarts_on_transfer_and_handle_time(built_day):
    built_day()
    result = summary(WHOLE_DAY)
    # FRT: C1 30, C2 350, C4 40 (Anna after the transfer at 10:10:00, not Boris' 120), C5 10, C7 20, C8 60,
    # C9 30; sorted [10, 20, 30, 30, 40, 60, 350].
    assert result.first_response.count == 7
    assert result.first_response.mean == pytest.approx(77.143)  # 540 / 7
    assert result.first_response.p50 == pytest.approx(30.0)  # position 3
    assert result.first_response.p90 == pytest.approx(176.0)  # position 5.4 -> 60 + 0.4 x 290
    # Handle: C1 300, C2 240, C4 480 (assigned 10:07 -> closed 10:15, across the transfer), C5 1200,
    # C7 1200 (23:50 -> 00:10, across midnight), C8 600, C9 180; sorted [180, 240, 300, 480, 600, 1200, 1200].
    assert result.handle_time.count == 7
    assert result.handle_time.mean == pytest.approx(600.0)  # 4200 / 7
    assert result.handle_time.p50 == pytest.approx(480.0)
    assert result.handle_time.p90 == pytest.approx(1200.0)  # 1200 + 0.4 x 0


def test_ratings_csat_and_response_rate(built_day):
    built_day()
    result = summary(WHOLE_DAY)
    # Rated: C1 5, C2 3, C4 4, C7 1; C5 C8 C9 unrated and not counted.
    assert result.ratings == 4
    assert result.csat == pytest.approx(50.0)  # (5 and 4) 2 / 4 x 100
    assert result.mean_rating == pytest.approx(3.25)  # 13 / 4
    assert result.rating_distribution == {1: 1, 2: 0, 3: 1, 4: 1, 5: 1}
    # Closed with an operator reply: the 7 answered chats; 4 of them rated.
    assert result.closed_with_reply == 7
    assert result.rating_response_rate == pytest.approx(0.5714)  # 4 / 7
    assert result.consultations == 1  # C8


def test_concurrency_and_occupancy_clip_at_midnight(built_day):
    built_day()
    result = summary_with_time(WHOLE_DAY)
    # Signed in on the day: Anna 09:00 -> 24:00 = 54,000 s; Boris 10:07 -> 10:12 = 300 s; 54,300 s.
    # Chats held: Anna C1 300 + C2 240 + C4 300 (10:10 -> 10:15) + C5 1200 + C8 600 + C9 180
    #   + C7 600 (23:50 -> 24:00) = 3,420 s; Boris C4 180 (10:07 -> 10:10); 3,600 s.
    assert result.concurrency == pytest.approx(0.0663)  # 3600 / 54300
    # With at least one chat: Anna's C9 (12:02-12:05) lies inside C8 (12:00-12:10), so 3,420 - 180 = 3,240;
    # Boris 180; 3,420 s.
    assert result.occupancy == pytest.approx(0.0630)  # 3420 / 54300
    # The next day until the clock (01:00): Anna 00:00 -> 00:30 = 1,800 s with C7 00:00 -> 00:10 = 600 s.
    assert concurrency_and_occupancy(operator_time(NEXT_DAY)) == (pytest.approx(0.3333), pytest.approx(0.3333))
    assert summary(NEXT_DAY).offered == 0


def test_per_operator_table(built_day):
    day = built_day()
    rows = {row.name: row for row in operator_table(WHOLE_DAY)}
    anna, boris = rows["Anna"], rows["Boris"]
    # Anna ends up holding all 7 answered chats (C4 after the transfer); mean handle 4200 / 7.
    assert (anna.operator_id, anna.chats, anna.handle_time_mean, anna.consultations) == (day.anna.pk, 7, 600.0, 1)
    # Ratings are credited to the last operator who replied: Anna for all four; 2 of 4 are 4-5 stars.
    assert (anna.ratings, anna.csat) == (4, 50.0)
    assert anna.concurrency == pytest.approx(0.0633)  # 3420 / 54000
    assert anna.occupancy == pytest.approx(0.06)  # 3240 / 54000
    # Boris held C4 for 180 of his 300 signed-in seconds, and finished no chat himself.
    assert (boris.chats, boris.ratings, boris.csat) == (0, 0, None)
    assert (boris.concurrency, boris.occupancy) == (pytest.approx(0.6), pytest.approx(0.6))


def test_filters_narrow_every_figure(built_day):
    day = built_day()
    stylist = day.chats["C8"].queue_id
    only_stylist = MetricFilters(start=WHOLE_DAY.start, end=WHOLE_DAY.end, queue_id=stylist)
    result = summary(only_stylist)
    assert (result.offered, result.answered, result.consultations) == (1, 1, 1)
    assert result.first_response.mean == pytest.approx(60.0)
    assert summary(MetricFilters(start=WHOLE_DAY.start, end=WHOLE_DAY.end, connector="telegram")).offered == 0
    # Boris finished no chat: by operator he has none (C4 went to Anna).
    by_boris = MetricFilters(start=WHOLE_DAY.start, end=WHOLE_DAY.end, operator_id=day.boris.pk)
    assert summary(by_boris).offered == 0


def test_breakdowns(built_day):
    built_day()
    assert [(d.isoformat(), n, a) for d, n, a in volume_by_day(WHOLE_DAY)] == [("2026-03-10", 9, 2)]
    hours = dict(volume_by_hour(WHOLE_DAY))
    # 10 h: C1-C6 = 6; 12 h: C8 C9 = 2; 23 h: C7 = 1.
    assert (hours[10], hours[12], hours[23], sum(hours.values())) == (6, 2, 1, 9)
    assert volume_by_connector(WHOLE_DAY) == [("widget", 9)]
    # Operators gave the one reason to the 7 answered chats; C3 and C6 closed without one.
    assert volume_by_reason(WHOLE_DAY) == [("Order: where is it", 7), ("", 2)]
    assert [(d.isoformat(), n) for d, n, _ in consultations(WHOLE_DAY)] == [("2026-03-10", 1)]
