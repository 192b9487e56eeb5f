"""A Celery worker killed -9 during an outbound Telegram send: the reply goes out exactly once.

The deployment of deploy/ on loopback (nginx, daphne, a private Redis as broker and cache), a worker
started as its systemd unit starts it, and the fake Bot API holding the send unprocessed, as a
stalled connection does. The worker is killed -9 mid-send; the broker hands the task out again after
the visibility timeout (late acknowledgement), the dead worker's lock expires, and a new worker sends
the reply once.
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

pytestmark = [pytest.mark.faults]

VISIBILITY_TIMEOUT = 2


def worker(cluster) -> processes.Child:
    child = processes.celery("worker", cluster.env, "--concurrency", "2", "--without-mingle", "--without-gossip")
    child.start()
    processes.wait_until(lambda: "ready." in child.log() or not child.alive, 60, "celery worker ready")
    assert child.alive, child.log()
    return child


def test_worker_killed_mid_send_sends_the_reply_exactly_once(
    cluster,
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
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        TELEGRAM_BOT_TOKEN="123456:TEST-token",
        TELEGRAM_WEBHOOK_SECRET=TG_SECRET,
        TELEGRAM_API_URL=fake_telegram.url,
    )
    cluster.start(1)
    first = worker(cluster)
    second: processes.Child | None = None
    try:
        fake_telegram.stall_next("sendMessage")
        olga = Operator(cluster.url, login(cluster.url, operator.user.username, "pw-123456"))
        olga.reply(conversation.pk, "Ваш заказ уже в пути")
        processes.wait_until(lambda: fake_telegram.stalled, 30, f"the send reaching Telegram\n{first.log()}")
        first.kill()
        killed_at = time.monotonic()
        message = Message.objects.get(text="Ваш заказ уже в пути")
        assert message.delivery_state == "pending"

        second = worker(cluster)

        def sent() -> bool:
            message.refresh_from_db()
            return message.delivery_state == "sent"

        processes.wait_until(sent, 60, f"the reply sent after recovery\n{second.log()}")
        recovered = time.monotonic() - killed_at
        fake_telegram.release_stalled()  # the stalled attempt is answered to nobody and changes nothing
        time.sleep(2 * VISIBILITY_TIMEOUT + 1)  # long enough for any second hand-out to show
        delivered = [m["text"] for m in fake_telegram.delivered]
        figures = {
            "replies_sent": 1,
            "delivered_to_telegram": len(delivered),
            "lost": int(not delivered),
            "doubled": max(len(delivered) - 1, 0),
            "send_attempts_seen_by_telegram": len(fake_telegram.calls("sendMessage")),
            "seconds_from_kill_to_sent": round(recovered, 1),
            "visibility_timeout_seconds": VISIBILITY_TIMEOUT,
        }
        record("celery_worker_kill", figures)
        assert delivered == ["Ваш заказ уже в пути"]
        message.refresh_from_db()
        assert message.delivery_state == "sent"
    finally:
        fake_telegram.release_stalled()
        first.close()
        if second is not None:
            second.close()
