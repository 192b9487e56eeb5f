"""Redis, the Celery broker, restarted under a running worker: the worker reconnects by itself.

The deployment of deploy/ on loopback (nginx, daphne, a private Redis as broker, cache and channel
layer) and one worker started as its systemd unit starts it. The fake Bot API holds the send of a
first reply, so the worker holds that task unacknowledged when the private Redis is killed and
started again on the same port (it forgets every queue and connection). A second reply, sent through
the API after Redis is back, must reach Telegram exactly once from the same worker process, within
a bounded time. Before config/broker.py the worker stopped instead ("Unrecoverable error").
"""

from __future__ import annotations

import time

import pytest

from chat.actions import do_set_operator_status
from chat.models import Conversation, Message
from tests.connectors.conftest import TG_SECRET, fake_telegram, fixture, post_update, telegram_server  # noqa: F401
from tests.faults import processes
from tests.faults.conftest import record
from tests.faults.people import Operator, login
from tests.faults.test_celery_kill import worker

pytestmark = [pytest.mark.faults]

REDIS_DOWN_SECONDS = 3.0
RECONNECT_BOUND_SECONDS = 30


def test_a_worker_reconnects_to_a_restarted_broker_and_sends_the_reply_once(
    cluster,
    private_redis,
    make_operator,
    fake_telegram,  # noqa: F811
    post_update,  # noqa: F811
):
    operator = make_operator("Olga")
    do_set_operator_status(operator_id=operator.pk, status="online")
    assert post_update(fixture("telegram", "message__text")).status_code == 200
    conversation = Conversation.objects.get(connector="telegram")
    assert conversation.operator_id == operator.pk

    cluster.env.update(
        CELERY_TASK_ALWAYS_EAGER="0",
        TELEGRAM_BOT_TOKEN="123456:TEST-token",
        TELEGRAM_WEBHOOK_SECRET=TG_SECRET,
        TELEGRAM_API_URL=fake_telegram.url,
    )
    cluster.start(1)
    running = worker(cluster)
    assert running.process is not None
    worker_pid = running.process.pid
    try:
        olga = Operator(cluster.url, login(cluster.url, operator.user.username, "pw-123456"))

        def sent(text: str) -> bool:
            return Message.objects.filter(text=text, delivery_state="sent").exists()

        fake_telegram.stall_next("sendMessage")
        olga.reply(conversation.pk, "Сейчас проверю")
        processes.wait_until(lambda: fake_telegram.stalled, 30, f"the first send reaching Telegram\n{running.log()}")

        private_redis.restart(REDIS_DOWN_SECONDS)  # while the worker holds that task, unacknowledged
        back_at = time.monotonic()
        fake_telegram.release_stalled()  # answered 502: that send took no effect and is retried

        olga.reply(conversation.pk, "Ваш заказ уже в пути")
        processes.wait_until(
            lambda: sent("Ваш заказ уже в пути"),
            RECONNECT_BOUND_SECONDS,
            f"the reply sent after the broker came back\n{running.log()}",
        )
        seconds_to_sent = time.monotonic() - back_at
        time.sleep(3)  # long enough for a second hand-out to show
        delivered = [m["text"] for m in fake_telegram.delivered]
        after = [text for text in delivered if text == "Ваш заказ уже в пути"]
        figures = {
            "redis_down_seconds": REDIS_DOWN_SECONDS,
            "seconds_from_redis_back_to_sent": round(seconds_to_sent, 1),
            "replies_sent_after_restart": 1,
            "delivered_to_telegram_after_restart": len(after),
            "lost": int(not after),
            "doubled": max(len(after) - 1, 0),
            "held_reply_delivered": delivered.count("Сейчас проверю"),
            "worker_restarted": int(not running.alive or running.process.pid != worker_pid),
        }
        record("celery_broker_restart", figures)
        assert "Connection to broker lost" in running.log()
        assert running.alive and running.process.pid == worker_pid, running.log()
        assert after == ["Ваш заказ уже в пути"]
        assert delivered.count("Сейчас проверю") <= 1
    finally:
        running.close()
