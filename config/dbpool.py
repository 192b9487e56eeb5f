"""Per-process PostgreSQL connection pools (Django's ``OPTIONS["pool"]``), never shared across a fork.

Under daphne every HTTP request runs its sync code in a thread of its own, so without a pool each
webhook opened (and closed) a PostgreSQL connection: 5-10 ms on this machine, more than the INSERT it
was opened for. A pool per process hands the request an open one.

A pool belongs to the process that opened it: its connections are that process' sockets and its
threads do not exist in a forked child. A child that kept using them would talk over its parent's
sockets, and closing them would end the parent's sessions. So a forked child (a Celery prefork
worker, the benchmark's forked clients) forgets what it inherited without closing anything
(psycopg sends nothing when an object made by another process goes away) and opens a pool of its
own on its first query.
"""

from __future__ import annotations

import os
from typing import Any

from django.db import connections

# What children inherited, kept referenced so that nothing of it is ever finalised in them.
_inherited: list[Any] = []
_registered = False


def pooled_aliases() -> list[str]:
    return [alias for alias in connections if connections.settings[alias].get("OPTIONS", {}).get("pool")]


def forget_inherited_pools() -> None:
    """In a forked child: drop the parent's pools and the connections taken from them, untouched."""
    from django.db.backends.postgresql.base import DatabaseWrapper

    pools: dict[str, Any] = vars(DatabaseWrapper)["_connection_pools"]  # Django keeps one per alias here
    _inherited.extend(pools.values())
    pools.clear()
    for alias in pooled_aliases():
        wrapper = connections[alias]
        if wrapper.connection is not None:
            _inherited.append(wrapper.connection)
        # A fresh wrapper for this thread: no inherited transaction state, no borrowed socket.
        del connections[alias]


def protect_pools_from_fork() -> None:
    """Register :func:`forget_inherited_pools` to run in every child forked from now on (once)."""
    global _registered
    if not _registered and pooled_aliases():
        os.register_at_fork(after_in_child=forget_inherited_pools)
        _registered = True


def without_pool_in_prefork_workers(pool_cls: object) -> bool:
    """A Celery prefork child runs one task at a time and Celery's Django fixup closes a pool around
    every task there, so each task would open a pool for one connection: such workers use plain
    connections instead, as before pools. Returns whether anything was changed."""
    name = pool_cls if isinstance(pool_cls, str) else getattr(pool_cls, "__module__", "")
    if "prefork" not in str(name):
        return False
    changed = False
    for alias in pooled_aliases():
        settings_dict = connections.settings[alias]
        settings_dict["OPTIONS"].pop("pool")
        settings_dict["CONN_MAX_AGE"] = 60
        changed = True
    return changed
