"""PostgreSQL connections come from a pool per process, and a forked child never uses its parent's.

Each HTTP request runs in a thread of its own under daphne; these tests post from several threads
the way daphne does and count the sessions PostgreSQL saw. PostgreSQL only (the pool is its).
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from config.celery import app
from connectors.models import RawUpdate
from tests.connectors.conftest import TG_SECRET, fixture

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.USING_POSTGRES, reason="the pool is PostgreSQL's: set DATABASE_URL"),
    pytest.mark.skipif(not getattr(settings, "DATABASE_POOL", False), reason="DATABASE_POOL is off"),
]


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


@pytest.fixture
def queued_not_run() -> Iterator[None]:
    """Tasks go to a broker queue nobody reads (eager tasks from several threads at once trip Celery's
    per-process "inside a task" flag for the tests that follow)."""
    queue = f"sbtest-pool-{uuid.uuid4().hex}"
    previous = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager, app.conf.task_default_queue = False, queue
    yield
    app.conf.task_always_eager, app.conf.task_default_queue = previous
    with app.connection_for_write() as broker:
        channel = broker.default_channel
        channel.queue_delete(queue)
        if hasattr(channel, "client"):  # Redis: kombu keeps the queue's bindings in keys of their own
            channel.client.delete(f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")


def test_webhooks_from_many_request_threads_share_a_few_pooled_sessions(
    fake_telegram: Any, queued_not_run: None
) -> None:
    pool = getattr(connection, "pool", None)
    assert pool is not None and settings.DATABASES["default"]["CONN_MAX_AGE"] == 0
    _backend_pid()  # the pool is open
    opened_before = pool.get_stats().get("connections_num", 0)
    sessions: set[int] = set()
    statuses: list[int] = []

    def request_thread(start: int) -> None:
        # One thread per request, as daphne runs Django's sync views; it ends with request_finished.
        for n in range(start, start + 10):
            update = {**fixture("telegram", "message__text"), "update_id": 9_000_000 + n}
            answer = Client().post(
                "/connectors/telegram/webhook/",
                data=update,
                content_type="application/json",
                headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
            )
            statuses.append(answer.status_code)
            sessions.add(_backend_pid())
            connection.close()

    threads = [threading.Thread(target=request_thread, args=(start,)) for start in range(0, 40, 10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 40
    assert RawUpdate.objects.filter(update_id__startswith="90000").count() == 40
    # 40 requests (80 connection uses) in 4 threads: at most one new session per thread, all from the pool.
    assert pool.get_stats().get("connections_num", 0) - opened_before <= 4
    assert len(sessions) <= pool.max_size, sessions


def test_a_forked_child_opens_its_own_session_and_leaves_the_parents_alone() -> None:
    parent_session = _backend_pid()  # the parent holds a pooled connection across the fork
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child, reports through the pipe
        try:
            os.close(read_end)
            child_session = _backend_pid()
            RawUpdate.objects.count()
            connection.close()
            os.write(write_end, str(child_session).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        reported = pipe.read()
    _, status = os.waitpid(child, 0)
    assert os.WIFEXITED(status) and reported, "the child could not query the database"
    assert int(reported) != parent_session  # its own session, not the parent's socket
    assert _backend_pid() == parent_session  # and the parent's session was not ended by the child


def test_celery_prefork_children_use_plain_connections_and_other_pools_keep_theirs() -> None:
    from celery.concurrency.prefork import TaskPool
    from django.db import connections

    from config.dbpool import without_pool_in_prefork_workers

    settings_dict = connections.settings["default"]
    pool_options = dict(settings_dict["OPTIONS"]["pool"])
    try:
        assert not without_pool_in_prefork_workers("solo")
        assert settings_dict["OPTIONS"]["pool"] == pool_options
        assert without_pool_in_prefork_workers(TaskPool)  # what ``celery worker`` passes by default
        assert "pool" not in settings_dict["OPTIONS"] and settings_dict["CONN_MAX_AGE"] == 60
    finally:
        settings_dict["OPTIONS"]["pool"] = pool_options
        settings_dict["CONN_MAX_AGE"] = 0
