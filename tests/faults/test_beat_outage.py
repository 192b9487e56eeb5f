"""Beat from a fresh clone, beat down for a while then back, and the lock every periodic task takes.

A real worker and beat (as their systemd units start them) on a private Redis and this run's test
database; the schedule file's folder does not exist (a fresh clone has no ``var/``). A shopper waits
past a 1 s queue-wait target: the breach opens. Beat is killed -9 and the shopper is answered: the
breach stays open while nobody checks. Beat comes back while another process holds the check's lock:
still nothing (a run never overlaps another). The lock is released: the check catches up at once.
"""

from __future__ import annotations

import time
import uuid

import pytest

from chat.actions import InboundMessage, do_receive_inbound, do_set_operator_status
from chat.periodic import redis_lock
from tests.faults import processes
from tests.faults.conftest import database_url, record
from workspace.models import ServiceTarget, TargetBreach

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

CHECK = "workspace.tasks.check_service_targets"


def test_beat_starts_fresh_catches_up_after_an_outage_and_never_overlaps(
    private_redis, tmp_path, make_operator, settings
):
    if not settings.USING_POSTGRES:
        pytest.skip("a worker in another process needs a shared database: set DATABASE_URL (PostgreSQL)")
    prefix = f"sbbeat{uuid.uuid4().hex[:8]}"
    schedule_file = tmp_path / "fresh-clone" / "var" / "celerybeat-schedule"
    env = processes.server_env(
        DATABASE_URL=database_url(),
        REDIS_URL=private_redis.url,
        CHANNEL_LAYER_PREFIX=prefix,
        SECRET_KEY=settings.SECRET_KEY,
        CELERY_TASK_ALWAYS_EAGER="0",
        CELERY_BEAT_SCHEDULE_FILENAME=str(schedule_file),
        SWITCHBOARD_TARGET_CHECK_SECONDS="1",
        CONN_MAX_AGE="0",
    )
    # The test process takes the same lock the worker does: same Redis, same prefix.
    settings.REDIS_URL, settings.CHANNEL_LAYER_PREFIX = private_redis.url, prefix
    ServiceTarget.objects.create(metric="max_queue_wait", threshold=1)
    operator = make_operator("Anna")
    do_receive_inbound(InboundMessage(connector="widget", sender_id="waiting", text="Hello?"))

    worker = processes.celery("worker", env, "--concurrency", "2", "--without-mingle", "--without-gossip")
    beat = processes.celery("beat", env)
    try:
        worker.start()
        processes.wait_until(lambda: "ready." in worker.log() or not worker.alive, 60, "worker ready")
        beat.start()

        def open_breach() -> TargetBreach | None:
            return TargetBreach.objects.filter(ended_at__isnull=True).first()

        processes.wait_until(open_breach, 30, f"a breach raised\n{beat.log()}\n{worker.log()}")
        # (dbm may add a suffix to the file's name)
        assert beat.alive and list(schedule_file.parent.glob("celerybeat-schedule*")), beat.log()

        beat.kill()
        down_at = time.monotonic()
        do_set_operator_status(operator_id=operator.pk, status="online")  # the shopper is answered
        time.sleep(4)
        assert open_breach() is not None, "something other than beat checked the targets"

        with redis_lock(f"periodic:{CHECK}") as held:
            assert held
            beat.start()
            processes.wait_until(lambda: "skipped: already running" in worker.log(), 30, "a run skipped")
            assert open_breach() is not None, "a check ran while another held its lock"
            released_at = time.monotonic()
        processes.wait_until(lambda: open_breach() is None, 20, f"the check catching up\n{worker.log()}")
        caught_up = time.monotonic() - released_at
        skipped = worker.log().count("skipped: already running")
        breach = TargetBreach.objects.get()
        figures = {
            "beat_down_seconds": round(released_at - down_at, 1),
            "seconds_until_caught_up_after_lock_free": round(caught_up, 1),
            "runs_skipped_while_locked": skipped,
            "breaches": TargetBreach.objects.count(),
            "breach_closed": breach.ended_at is not None,
        }
        record("beat_outage", figures)
        assert figures["breaches"] == 1  # the outage neither lost the breach nor opened a second one
    finally:
        beat.close()
        worker.close()
