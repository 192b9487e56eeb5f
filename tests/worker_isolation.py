"""Loaded first (``-p tests.worker_isolation``): each pytest-xdist worker gets Redis names of its own.

The workers share one Redis; their test databases are apart (pytest-django names them per worker),
but channel groups, the cache and the rate-limit counters are keyed by prefix, and two workers both
have a conversation 1. The prefixes are read from the environment when settings load, so they are
set here, before Django starts; processes a test spawns inherit them.
"""

from __future__ import annotations

import os

worker = os.environ.get("PYTEST_XDIST_WORKER")
if worker:
    for name, default in (("CHANNEL_LAYER_PREFIX", "sbtest"), ("SWITCHBOARD_THROTTLE_PREFIX", "throttle")):
        os.environ[name] = f"{os.environ.get(name) or default}-{worker}"
