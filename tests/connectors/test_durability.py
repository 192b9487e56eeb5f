"""Exactly once in: concurrent repeats of one update, and updates stored while the broker was down."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from chat.models import Message
from connectors import callbacks
from connectors.inbox import process_leftover_updates, process_raw_update
from connectors.models import RawUpdate, RawUpdateState
from tests.connectors.conftest import TG_SECRET, fixture

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_the_same_update_posted_eight_times_at_once_is_one_message(fake_telegram, queues):
    body = json.dumps(fixture("telegram", "message__text"))

    def post(_: int) -> int:
        try:
            response = Client().post(
                "/connectors/telegram/webhook/",
                data=body,
                content_type="application/json",
                headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
            )
            return response.status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(post, range(8)))
    assert statuses == [200] * 8
    assert RawUpdate.objects.count() == 1
    assert Message.objects.filter(connector="telegram").count() == 1


@pytest.mark.embedded
def test_update_stored_but_never_processed_is_picked_up_by_the_sweep(fake_telegram, queues):
    # As if the broker was down when the webhook answered: the row exists, no task ever ran.
    raw = RawUpdate.objects.create(
        connector="telegram", update_id="800000001", kind="message", payload=fixture("telegram", "message__text")
    )
    RawUpdate.objects.filter(pk=raw.pk).update(received_at=timezone.now() - timedelta(minutes=5))
    assert process_leftover_updates.apply().get() == 1
    raw.refresh_from_db()
    assert raw.state == RawUpdateState.PROCESSED
    assert Message.objects.get(connector="telegram").text == "Здравствуйте! Где мой заказ 1042?"
    assert process_leftover_updates.apply().get() == 0


@pytest.mark.embedded
def test_a_button_press_is_handled_once_even_if_its_task_runs_twice(fake_telegram, queues, post_update):
    presses: list[str] = []
    callbacks.register_callback_handler("rate", lambda press: presses.append(press.data) and None)
    assert post_update(fixture("telegram", "callback_query")).status_code == 200
    raw = RawUpdate.objects.get()
    assert process_raw_update.apply(args=[raw.pk]).get() is None  # a redelivered task: nothing to do
    assert presses == ["rate:42:5"]
    assert len(fake_telegram.calls("answerCallbackQuery")) == 1


@pytest.mark.embedded
def test_an_update_whose_worker_died_is_taken_again_after_a_while(fake_telegram, queues):
    raw = RawUpdate.objects.create(
        connector="telegram", update_id="800000001", kind="message", payload=fixture("telegram", "message__text")
    )
    long_ago = timezone.now() - timedelta(hours=1)
    RawUpdate.objects.filter(pk=raw.pk).update(
        state=RawUpdateState.PROCESSING, processed_at=long_ago, received_at=long_ago
    )
    assert process_leftover_updates.apply().get() == 1
    assert Message.objects.filter(connector="telegram").count() == 1
