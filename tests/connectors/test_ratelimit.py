"""The sending limits: shared by every process through Redis, per chat and overall."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from connectors.ratelimit import LocalLimiter, RedisLimiter, Window, telegram_windows


@pytest.fixture
def two_processes() -> Iterator[tuple[RedisLimiter, RedisLimiter]]:
    """Two limiters with their own Redis connections, as two Celery workers would have."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    prefix = f"sbtest-rl-{uuid.uuid4().hex}"
    first, second = RedisLimiter(url, prefix), RedisLimiter(url, prefix)
    yield first, second
    first.clear()


def test_second_message_to_one_chat_within_a_second_waits_across_processes(two_processes):
    first, second = two_processes
    assert first.try_acquire(telegram_windows(111)) == 0
    wait = second.try_acquire(telegram_windows(111))
    assert 0 < wait <= 1.0
    assert second.try_acquire(telegram_windows(222)) == 0  # another chat is not held up


def test_thirty_messages_a_second_overall(two_processes):
    first, second = two_processes
    granted = [(first if i % 2 else second).try_acquire(telegram_windows(i)) for i in range(30)]
    assert granted == [0] * 30
    assert first.try_acquire(telegram_windows(999)) > 0


def test_a_refused_request_takes_no_slot(two_processes):
    first, _ = two_processes
    windows = [Window("vk:group:1", 2)]
    assert first.try_acquire(windows) == 0
    assert first.try_acquire(windows) == 0
    assert first.try_acquire(windows) > 0
    assert first.try_acquire(windows) > 0
    # Still two in the window, not four: refusals never extend the wait.
    assert first.try_acquire([Window("vk:group:1", 3)]) == 0


@pytest.mark.embedded
def test_in_process_fallback_has_the_same_rules():
    limiter = LocalLimiter()
    assert limiter.try_acquire(telegram_windows(1)) == 0
    assert 0 < limiter.try_acquire(telegram_windows(1)) <= 1.0
    assert limiter.try_acquire(telegram_windows(2)) == 0
