"""Webhooks through nginx and a pooled daphne, processed by a forked (prefork) Celery worker.

The worker's children are forked from a process that has the pool configured; each must open
connections of its own (config/dbpool.py) and process every update exactly once.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from typing import Any

import pytest

from chat.models import Message
from connectors.models import RawUpdate, RawUpdateState
from tests.connectors.conftest import TG_SECRET, fixture
from tests.faults import processes
from tests.faults.conftest import record

pytestmark = [pytest.mark.faults]

UPDATES = 40


def _post(url: str, update: dict[str, Any]) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(update).encode(),
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status


def test_a_prefork_worker_processes_every_pooled_webhook_once(cluster: Any, queues: Any) -> None:
    cluster.env.update(
        CELERY_TASK_ALWAYS_EAGER="0",
        TELEGRAM_BOT_TOKEN="123456:TEST-token",
        TELEGRAM_WEBHOOK_SECRET=TG_SECRET,
        TELEGRAM_API_URL="http://127.0.0.1:9",  # nothing listens: this is about storing and processing
        DATABASE_POOL="1",
        DATABASE_POOL_MAX_SIZE="4",
    )
    cluster.start(1)
    worker = processes.celery("worker", cluster.env, "--concurrency", "2", "--without-mingle", "--without-gossip")
    worker.start()
    try:
        base = fixture("telegram", "message__text")
        statuses: list[int] = []

        def poster(first: int) -> None:
            for n in range(first, UPDATES, 8):
                sender = {**base["message"]["from"], "id": 5_000 + n}
                chat = {**sender, "type": "private"}
                message = {**base["message"], "message_id": n + 1, "from": sender, "chat": chat, "text": f"pool {n}"}
                url = f"{cluster.url}/connectors/telegram/webhook/"
                statuses.append(_post(url, {"update_id": n + 1, "message": message}))

        threads = [threading.Thread(target=poster, args=(first,)) for first in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [200] * UPDATES

        def all_processed() -> bool:
            return RawUpdate.objects.filter(state=RawUpdateState.PROCESSED).count() == UPDATES

        try:
            processes.wait_until(all_processed, 60, "every update processed")
        except AssertionError as missed:
            states = list(RawUpdate.objects.values_list("state", flat=True))
            raise AssertionError(f"{missed}: {states}\n{worker.log()}") from None
        texts = sorted(Message.objects.filter(text__startswith="pool ").values_list("text", flat=True))
        record("pool_prefork_worker", {"posted": UPDATES, "stored": RawUpdate.objects.count(), "messages": len(texts)})
        assert texts == sorted(f"pool {n}" for n in range(UPDATES))  # none lost, none doubled
        assert "Traceback" not in worker.log(), worker.log()
    finally:
        worker.close()
