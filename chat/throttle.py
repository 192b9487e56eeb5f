"""Rate limits on what strangers can make us do: sign-in attempts, API tokens, shopper messages.

Counters live in Django's cache, so they are shared by every process when ``REDIS_URL`` is set (the
cache is Redis: ``INCR`` is atomic across processes) and kept in this process otherwise (the
embedded default runs one process; locmem increments under a lock). Each limit is a fixed window:
``count`` hits per ``seconds``, the window opening at the first hit, so a burst straddling two
windows may pass up to twice the count once; the point is stopping floods, not exact metering.

Limits are settings (``SWITCHBOARD_RATE_LIMITS``, each overridable from the environment as
``SWITCHBOARD_RATE_<NAME>="<count>/<seconds>"`` or ``off``). Outbound limits towards Telegram and VK
are another thing: ``connectors.ratelimit``.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int


def parse_limit(name: str, value: str) -> Limit | None:
    """``"20/10"`` -> 20 per 10 s; ``"off"``, ``"0"`` or empty -> no limit."""
    value = value.strip().lower()
    if value in ("", "0", "off", "none"):
        return None
    count, _, seconds = value.partition("/")
    limit = Limit(name, int(count), int(seconds or 60))
    if limit.count < 1 or limit.seconds < 1:
        raise ValueError(f"Rate limit {name} must be <count>/<seconds> with both at least 1, not {value!r}.")
    return limit


def limit(name: str) -> Limit | None:
    """The configured limit called ``name`` (a key of ``SWITCHBOARD_RATE_LIMITS``), or None if off."""
    return parse_limit(name, str(settings.SWITCHBOARD_RATE_LIMITS.get(name, "off")))


def _key(limit: Limit, subject: str) -> str:
    # Subjects are strangers' strings (a login name, a token's visitor id): hashed to a safe key.
    digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{settings.SWITCHBOARD_THROTTLE_PREFIX}:{limit.name}:{limit.count}/{limit.seconds}:{digest}"


def _count(key: str, seconds: int) -> int:
    """Add one to the window's counter (atomic on Redis and locmem) and return the new value.

    The first hit opens the window: the counter expires ``seconds`` later and its start is kept
    beside it, so a wait can be told.
    """
    if cache.add(key, 1, timeout=seconds):
        cache.set(f"{key}:start", time.time(), timeout=seconds)
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # the window expired between add and incr
        return _count(key, seconds)


def _left(limit: Limit, key: str) -> float:
    start = cache.get(f"{key}:start")
    if start is None:
        return float(limit.seconds)
    return max(1.0, float(start) + limit.seconds - time.time())


def retry_after(limit: Limit | None, subject: str) -> float:
    """Seconds until ``subject`` may act again under ``limit`` (0: it may now). Counts nothing."""
    if limit is None:
        return 0.0
    key = _key(limit, subject)
    return _left(limit, key) if int(cache.get(key) or 0) >= limit.count else 0.0


def hit(limit: Limit | None, subject: str) -> float:
    """Count one hit; return 0 if it is within the limit, else the seconds until the window ends."""
    if limit is None:
        return 0.0
    key = _key(limit, subject)
    return _left(limit, key) if _count(key, limit.seconds) > limit.count else 0.0


def hit_all(checks: Iterable[tuple[Limit | None, str]]) -> float:
    """Count one hit under each (limit, subject); the longest wait among those over their limit."""
    return max([hit(each, subject) for each, subject in checks], default=0.0)


def reset(limit: Limit | None, subject: str) -> None:
    """Forget the subject's hits (a correct password clears its failures)."""
    if limit is not None:
        key = _key(limit, subject)
        cache.delete_many([key, f"{key}:start"])


def first_over(limit: Limit | None, subject: str) -> bool:
    """True once per window for a subject over its limit: say "slow down" once, not per message."""
    if limit is None:
        return False
    key = _key(limit, subject)
    return bool(cache.add(f"{key}:told", 1, timeout=max(1, round(_left(limit, key)))))


def whole_seconds(wait: float) -> int:
    return max(1, math.ceil(wait))


# --- who is asking -------------------------------------------------------------------------------


def _trusted(address: str) -> bool:
    return address in settings.SWITCHBOARD_TRUSTED_PROXIES


def client_ip(remote_addr: str, forwarded_for: str = "") -> str:
    """The client's address: the peer, or, when the peer is a trusted proxy, the nearest address in
    ``X-Forwarded-For`` that is not one (so a client cannot pick its own by sending the header)."""
    address = remote_addr or "unknown"
    if forwarded_for and _trusted(address):
        for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
            address = hop
            if not _trusted(hop):
                break
    try:
        return str(ip_address(address))
    except ValueError:
        return "unknown"


def request_ip(request: Any) -> str:
    """The client address of a Django request."""
    meta: Mapping[str, str] = request.META
    return client_ip(meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR", ""))


def scope_ip(scope: Mapping[str, Any]) -> str:
    """The client address of an ASGI scope (a WebSocket)."""
    peer = scope.get("client") or ("", 0)
    headers = dict(scope.get("headers") or [])
    forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
    return client_ip(str(peer[0] or ""), forwarded)
