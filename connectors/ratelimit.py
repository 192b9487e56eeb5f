"""Sending limits shared by every process: a sliding window per key in Redis.

Telegram allows about 1 message/s per chat and 30/s overall, VK 20 requests/s per community. The
client libraries' own limiters are per process (python-telegram-bot's skips private chats), so
several Celery workers would exceed them together. Without ``REDIS_URL`` (the embedded default,
one process) an in-process window does the same job.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from django.conf import settings

# KEYS: window keys. ARGV: limit, window (s) per key, then a unique member. Returns the wait in
# seconds as a string: "0" means the slot was taken in every window at once.
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local wait = 0
for i = 1, #KEYS do
  local limit = tonumber(ARGV[2 * i - 1])
  local window = tonumber(ARGV[2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  if redis.call('ZCARD', KEYS[i]) >= limit then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    local w = tonumber(oldest[2]) + window - now
    if w > wait then wait = w end
  end
end
if wait > 0 then return tostring(wait) end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now, ARGV[#ARGV])
  redis.call('PEXPIRE', KEYS[i], math.ceil(tonumber(ARGV[2 * i]) * 1000) + 1000)
end
return '0'
"""


@dataclass(frozen=True)
class Window:
    key: str
    limit: int
    seconds: float = 1.0


class LocalLimiter:
    """The same sliding window in this process only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}

    def try_acquire(self, windows: Sequence[Window]) -> float:
        with self._lock:
            now = time.monotonic()
            wait = 0.0
            for window in windows:
                hits = self._hits.setdefault(window.key, deque())
                while hits and hits[0] <= now - window.seconds:
                    hits.popleft()
                if len(hits) >= window.limit:
                    wait = max(wait, hits[0] + window.seconds - now)
            if wait > 0:
                return wait
            for window in windows:
                self._hits[window.key].append(now)
            return 0.0

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()


class RedisLimiter:
    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self._client = redis.Redis.from_url(url)
        self._script = self._client.register_script(_SCRIPT)
        self._prefix = prefix

    def try_acquire(self, windows: Sequence[Window]) -> float:
        keys = [f"{self._prefix}:ratelimit:{w.key}" for w in windows]
        args: list[str | float | int] = []
        for window in windows:
            args += [window.limit, window.seconds]
        args.append(uuid.uuid4().hex)
        return float(self._script(keys=keys, args=args))

    def clear(self) -> None:
        for key in self._client.scan_iter(match=f"{self._prefix}:ratelimit:*"):
            self._client.delete(key)


@cache
def _limiter(url: str, prefix: str) -> LocalLimiter | RedisLimiter:
    return RedisLimiter(url, prefix) if url else LocalLimiter()


def limiter() -> LocalLimiter | RedisLimiter:
    return _limiter(settings.REDIS_URL, settings.CHANNEL_LAYER_PREFIX)


def acquire(windows: Sequence[Window], *, max_wait: float = 10.0) -> float:
    """Block until every window has room (then take the slot); return the seconds waited.

    Gives up with :class:`SlotTimeout` after ``max_wait`` so a task can reschedule itself instead.
    """
    waited = 0.0
    while True:
        wait = limiter().try_acquire(windows)
        if wait <= 0:
            return waited
        if waited + wait > max_wait:
            raise SlotTimeout(wait)
        time.sleep(wait)
        waited += wait


class SlotTimeout(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"rate limited for {wait:.1f} s")
        self.wait = wait


def telegram_windows(chat_id: str | int) -> list[Window]:
    return [Window(f"tg:chat:{chat_id}", 1), Window("tg:all", 30)]


def vk_windows() -> list[Window]:
    return [Window(f"vk:group:{settings.VK_GROUP_ID or 'default'}", 20)]
