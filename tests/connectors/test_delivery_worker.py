"""Delivery through a real Celery worker: the retry is a new message on the broker, after its countdown."""

from __future__ import annotations

import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker

from chat.actions import do_operator_reply
from config.celery import app
from tests.connectors.helpers import telegram_chat
from tests.fakes.telegram import SERVER_ERROR

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_500_then_200_through_a_real_worker_waits_the_backoff_and_sends_once(
    post_update, fake_telegram, make_operator, settings
):
    conversation, operator = telegram_chat(post_update, make_operator)
    queue = f"sbtest-delivery-{uuid.uuid4().hex}"  # nobody else's worker reads it
    previous = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    try:
        with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, queues=[queue]):
            fake_telegram.fail_next("sendMessage", SERVER_ERROR)
            started = time.monotonic()
            message = do_operator_reply(conversation_id=conversation.pk, operator_id=operator.pk, text="Уже в пути")
            for _ in range(200):
                message.refresh_from_db()
                if message.delivery_state != "pending":
                    break
                time.sleep(0.05)
            elapsed = time.monotonic() - started
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = previous
        with app.connection_for_write() as connection:
            channel = connection.default_channel
            channel.queue_delete(queue)
            if hasattr(channel, "client"):  # Redis: kombu keeps the queue's bindings in keys of their own
                channel.client.delete(f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    assert message.delivery_state == "sent"
    assert message.delivery_attempts == 2
    assert [m["text"] for m in fake_telegram.delivered] == ["Уже в пути"]
    assert elapsed >= 2.0  # the retry waited its 2 s countdown on the broker
