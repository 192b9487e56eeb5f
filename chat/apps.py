from typing import Any

from django.apps import AppConfig
from django.core.signals import request_finished
from django.db import connections

from config.dbpool import protect_pools_from_fork


def close_request_connections(**_: Any) -> None:
    """Close the database connections an HTTP request opened, whatever ``CONN_MAX_AGE`` says.

    Under ASGI, Django runs each request's sync code in a thread of its own, so a connection kept
    for reuse is never reused: it lingers until garbage collection. Under a burst of webhooks that
    exhausted PostgreSQL's ``max_connections`` (bench/webhooks.py: "too many clients already").
    With the pool (config/dbpool.py) closing hands the connection back to it for the next request.
    """
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:  # a test's wrapping transaction is left alone
            connection.close()


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Chat"

    def ready(self) -> None:
        request_finished.connect(close_request_connections, dispatch_uid="chat.close_request_connections")
        protect_pools_from_fork()
