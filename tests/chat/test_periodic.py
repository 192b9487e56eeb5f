"""The lock every periodic task runs under: one run at a time across processes, freed by a crash."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest

from chat.periodic import SKIPPED, exclusive, locked_schedule, redis_lock, run_locked

TASK = "chat.tasks.prune_events"


@pytest.mark.embedded
@pytest.mark.django_db(transaction=True)
def test_a_file_lock_held_by_another_process_skips_the_run_until_that_process_is_killed(settings, tmp_path):
    settings.REDIS_URL = ""
    settings.SWITCHBOARD_LOCK_DIR = str(tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time; f = open(sys.argv[1], 'a+b'); fcntl.flock(f, fcntl.LOCK_EX); "
            "print('held', flush=True); time.sleep(60)",
            str(tmp_path / f"periodic-{TASK}.lock"),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        assert run_locked(TASK) == SKIPPED
    finally:
        holder.kill()  # kill -9: no clean-up, the lock goes with the process
        holder.wait()
    assert run_locked(TASK) == 0  # ran: nothing to prune


def test_a_redis_lock_outlives_its_expiry_while_held_and_excludes_others(settings):
    settings.CHANNEL_LAYER_PREFIX = f"sbtest-lock-{uuid.uuid4().hex[:8]}"
    with redis_lock("renewed", expiry_seconds=1.0) as held:
        assert held
        time.sleep(2.5)  # past twice its expiry: renewed meanwhile
        with redis_lock("renewed", expiry_seconds=1.0) as second:
            assert not second
    with redis_lock("renewed", expiry_seconds=1.0) as after:
        assert after


def test_exclusive_in_one_process_admits_one_holder(settings, tmp_path):
    settings.REDIS_URL = ""
    settings.SWITCHBOARD_LOCK_DIR = str(tmp_path)
    with exclusive("x") as first, exclusive("x") as second:
        assert (first, second) == (True, False)


def test_every_beat_entry_runs_through_the_lock_and_expires_after_one_interval():
    wrapped = locked_schedule({"sweep": {"task": "chat.tasks.sweep_disconnected_operators", "schedule": 15.0}})
    assert wrapped == {
        "sweep": {
            "task": "chat.tasks.run_periodic",
            "args": ("chat.tasks.sweep_disconnected_operators",),
            "schedule": 15.0,
            "options": {"expires": 15.0},
        }
    }
