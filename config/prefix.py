"""The channel-layer (and cache) prefix a deployment uses on a Redis it may share with others."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def channel_layer_prefix(database: Mapping[str, Any]) -> str:
    """``sb-<database name>-<8 hex>``: the same for every process of one deployment, different for two.

    The name makes ``redis-cli keys`` readable; the hash of host, port and name tells apart two
    deployments whose databases share a name on different servers (or two SQLite files).
    """
    name = str(database.get("NAME") or "")
    where = f"{database.get('HOST') or ''}:{database.get('PORT') or ''}/{name}"
    if database.get("ENGINE", "").endswith("sqlite3"):
        where = str(Path(name).resolve()) if name and name != ":memory:" else name
        name = Path(name).stem or "sqlite"
    readable = re.sub(r"[^A-Za-z0-9_-]+", "-", name)[:40] or "db"
    return f"sb-{readable}-{hashlib.sha256(where.encode()).hexdigest()[:8]}"
