"""Periodic work (sweeps, target checks, rollups, pruning): one lock per task, and who runs it.

Scaled out, Celery beat sends every entry of ``CELERY_BEAT_SCHEDULE`` as ``chat.tasks.run_periodic``
(``config/celery.py`` wraps them), so each task runs under its lock whichever worker takes it. In the
embedded default there is no broker and no beat: :class:`StartsPeriodicWork` starts a scheduler on
the server's event loop on its first ASGI call, running the same entries through the same locks.

The locks: a Redis lock (token, expiry renewed while the task runs) when ``REDIS_URL`` is set, else
an exclusive ``flock`` on a file in ``SWITCHBOARD_LOCK_DIR`` (the embedded default is one machine).
Either way a process killed -9 frees its locks: the file lock with the process, the Redis lock when
its short expiry passes. A task whose lock is held is skipped, never queued behind: the next run
catches up, because every periodic task works from the state it finds (all overdue operators, every
stale day), not from what happened since the last run.
"""

from __future__ import annotations

import asyncio
import fcntl
import importlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)

RUNNER_TASK = "chat.tasks.run_periodic"
# A Redis lock expires this long after its holder stops renewing it (a killed worker).
LOCK_EXPIRY_SECONDS = 30.0
SKIPPED = "skipped: already running"


@contextmanager
def redis_lock(name: str, expiry_seconds: float = LOCK_EXPIRY_SECONDS) -> Iterator[bool]:
    """Yield True while this process holds ``name`` in Redis (renewed every third of the expiry),
    False if another holder has it. A holder killed -9 stops renewing: free ``expiry_seconds`` later."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=10)
    # Not thread-local: the renewing thread must see the token this thread took.
    lock = client.lock(f"{settings.CHANNEL_LAYER_PREFIX}:lock:{name}", timeout=expiry_seconds, thread_local=False)
    if not lock.acquire(blocking=False):
        client.close()
        yield False
        return
    done = threading.Event()

    def renew() -> None:
        while not done.wait(expiry_seconds / 3):
            try:
                lock.reacquire()
            except Exception:  # lost to expiry (a long stall): the task finishes, the next run checks
                logger.warning("Periodic lock %s could not be renewed", name, exc_info=True)
                return

    renewer = threading.Thread(target=renew, name=f"lock-{name}", daemon=True)
    renewer.start()
    try:
        yield True
    finally:
        done.set()
        renewer.join()
        try:
            lock.release()
        except Exception:  # expired meanwhile: nothing left to release
            logger.warning("Periodic lock %s had expired before release", name)
        client.close()


@contextmanager
def _file_lock(name: str) -> Iterator[bool]:
    directory = Path(settings.SWITCHBOARD_LOCK_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / f"periodic-{name}.lock", "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def exclusive(name: str) -> Iterator[bool]:
    """Yield True while this process alone holds the lock ``name``; False if another holds it."""
    lock = redis_lock if settings.REDIS_URL else _file_lock
    with lock(f"periodic:{name}") if settings.REDIS_URL else lock(name) as held:
        yield held


def run_locked(task_name: str) -> Any:
    """Run the registered Celery task ``task_name`` here and now, unless another run holds its lock."""
    from celery import current_app

    # A server process never ran Celery's autodiscovery: importing the task's module registers it.
    importlib.import_module(task_name.rpartition(".")[0])
    task = current_app.tasks[task_name]
    with exclusive(task_name) as held:
        if not held:
            logger.info("Periodic %s skipped: another run holds its lock", task_name)
            return SKIPPED
        return task()


def locked_schedule(schedule: MutableMapping[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Beat entries rewritten to go through :func:`run_locked`; a run queued while no worker was
    there expires after one interval instead of piling up (the next one catches up anyway)."""
    wrapped: dict[str, dict[str, Any]] = {}
    for name, entry in schedule.items():
        if entry.get("task") == RUNNER_TASK:
            wrapped[name] = entry
            continue
        options = dict(entry.get("options") or {})
        if isinstance(entry.get("schedule"), int | float):
            options.setdefault("expires", float(entry["schedule"]))
        wrapped[name] = {**entry, "task": RUNNER_TASK, "args": (entry["task"],), "options": options}
    return wrapped


def interval_seconds(entry: dict[str, Any]) -> float:
    schedule = entry["schedule"]
    if isinstance(schedule, int | float):
        return float(schedule)
    return float(schedule.run_every.total_seconds())  # celery.schedules.schedule / timedelta entries


async def run_schedule(
    schedule: dict[str, dict[str, Any]],
    run: Callable[[str], Awaitable[Any]],
    *,
    first_delay: float = 2.0,
    stop: asyncio.Event | None = None,
) -> None:
    """Run every entry's task every interval (the first run soon after start: it catches up
    whatever happened while nothing ran), one task at a time, until ``stop`` is set."""
    due = {name: time.monotonic() + first_delay for name in schedule}
    stop = stop or asyncio.Event()
    while not stop.is_set():
        name = min(due, key=due.__getitem__)
        wait = due[name] - time.monotonic()
        if wait > 0:
            try:
                await asyncio.wait_for(stop.wait(), timeout=wait)
                return
            except TimeoutError:
                pass
        task_name = schedule[name]["task"]
        try:
            await run(task_name)
        except Exception:
            logger.exception("Periodic %s failed", task_name)
        due[name] = time.monotonic() + interval_seconds(schedule[name])


def _run_in_thread(task_name: str) -> Any:
    close_old_connections()
    try:
        return run_locked(task_name)
    finally:
        close_old_connections()


class StartsPeriodicWork:
    """ASGI middleware for the embedded default: the first call starts the periodic work on the
    server's loop. daphne sends no lifespan events, so the first request or socket is the start.
    Each task runs in a thread of its own (not the process' one database thread the consumers
    share), and its broadcasts go out through this loop like any request's."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.started = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if not self.started:
            self.started = True
            if settings.SWITCHBOARD_PERIODIC_IN_PROCESS:
                schedule = dict(settings.CELERY_BEAT_SCHEDULE)
                run = sync_to_async(_run_in_thread, thread_sensitive=False)
                self.task = asyncio.get_running_loop().create_task(run_schedule(schedule, run))
                logger.info("Periodic work runs in this process (%d tasks)", len(schedule))
        return await self.app(scope, receive, send)
