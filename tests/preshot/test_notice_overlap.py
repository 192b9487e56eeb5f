"""Two notice runs at once (beat fired twice, a slow run overlapping the next) tell the shopper once:
both see no notice yet, both try to store it, the unique row lets one through. Two real database
connections in two threads, so PostgreSQL's (the production database's) locking decides."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from preshot import actions, notices
from preshot.models import Notice
from tests.connectors.conftest import fake_telegram, post_update, telegram_server
from tests.fakes.telegram import FakeTelegram
from tests.preshot.test_notice_delivery import late_order, telegram_shopper

__all__ = ["fake_telegram", "post_update", "telegram_server"]

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("articles", "queues")]


def test_two_overlapping_runs_send_one_notice(
    post_update: Callable[..., Any], fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.fail("Runs against PostgreSQL (DATABASE_URL): two threads writing at once.")
    contact = telegram_shopper(post_update)
    late_order(contact, "OVER-1")
    fake_telegram.reset()
    both_checked = threading.Barrier(2, timeout=10)
    store = actions.do_queue_notice

    def store_when_both_checked(draft: actions.NoticeDraft) -> Notice | None:
        both_checked.wait()  # each run has already looked and found no notice for this order and rule
        return store(draft)

    monkeypatch.setattr(actions, "do_queue_notice", store_when_both_checked)
    told: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            told.append(notices.send_due_notices())
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(told) == [0, 1]
    assert len(fake_telegram.delivered) == 1 and "OVER-1" in fake_telegram.delivered[0]["text"]
    assert Notice.objects.get().state == "sent"
