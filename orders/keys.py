"""Shop API keys: ``sbk_<prefix>_<secret>``. The prefix finds the row; only the key's SHA-256 is kept.

A random 32-byte secret needs no slow hash: nobody can guess it, and a stolen table gives no key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from orders.models import ShopApiKey

KEY_START = "sbk_"


def new_key() -> tuple[str, str, str]:
    """(key, prefix, hash) of a fresh key."""
    prefix = secrets.token_hex(6)
    key = f"{KEY_START}{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, key_hash(key)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def shop_key_for(key: str) -> ShopApiKey | None:
    """The live key row a presented key belongs to, or None (forged, revoked, malformed)."""
    if not key.startswith(KEY_START) or len(key) > 200:
        return None
    prefix = key[len(KEY_START) :].split("_", 1)[0]
    row = ShopApiKey.objects.filter(prefix=prefix, revoked_at__isnull=True).first()
    if row is None or not hmac.compare_digest(row.key_hash, key_hash(key)):
        return None
    return row
