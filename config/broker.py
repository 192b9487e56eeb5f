"""The Redis broker transport, made to survive a Redis restart under a worker that holds a task.

With late acknowledgement a worker holds unacknowledged tasks; when Redis goes away kombu closes the
channel and tries to put them back, but by then the channel's connection is already torn down and it
fails with ``AttributeError`` instead of a connection error. Celery only tolerates connection errors
there, so the worker stopped ("Unrecoverable error") instead of reconnecting. Raising the connection
error kombu expects lets the worker reconnect; the held tasks stay in Redis's unacknowledged index
and come back after the visibility timeout, as they would after a crash.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        if self.connection.client is None:
            raise RedisConnectionError("the broker connection is already closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
