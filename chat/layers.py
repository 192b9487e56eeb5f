"""The channels-redis pub/sub layer, told to say when its subscriptions were lost.

Redis forgets every subscription when it restarts. redis-py reconnects the pub/sub connection and
subscribes again by itself, so the layer keeps working afterwards, but whatever was published in
between reached nobody and no socket dropped: clients never resumed from the database, and stored
messages stayed unseen until a reload. Here every reconnection of a subscribing connection puts a
``layer.resubscribed`` message on every channel of this process; :class:`chat.consumers.LiveConsumer`
answers it by closing its socket with ``CLOSE_RESYNC``, and the clients reconnect and resume from the
last id they saw.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close
from redis.asyncio.client import PubSub, Redis
from redis.exceptions import ConnectionError as RedisConnectionError

logger = logging.getLogger(__name__)

RESUBSCRIBED = {"type": "layer.resubscribed"}


class _WatchedPubSub(PubSub):
    """A PubSub whose ``on_connect`` (redis-py calls it on reconnection only) tells its shard."""

    def __init__(self, *args: Any, shard: WatchedShard, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shard = shard

    async def on_connect(self, connection: Any) -> None:
        await super().on_connect(connection)
        self.shard.resubscribed()


class WatchedShard(RedisSingleShardConnection):
    async def publish(self, channel: str, message: bytes) -> None:
        try:
            await super().publish(channel, message)
        except RedisConnectionError:
            # Idle pooled connections from before a Redis restart fail once each: drop them all
            # and send again on a fresh one (a message sent twice is dropped by id by the clients).
            if self._redis is not None:
                await self._redis.connection_pool.disconnect(inuse_connections=False)
            await super().publish(channel, message)

    def _ensure_redis(self) -> None:
        if self._redis is None:
            super()._ensure_redis()
            # The same object redis-py's Redis.pubsub() makes, with the reconnection hook.
            # channels_redis is untyped: its __init__ sets _redis to None, which mypy takes as its type.
            redis = cast(Redis, self._redis)
            self._pubsub = _WatchedPubSub(redis.connection_pool, shard=self)

    def resubscribed(self) -> None:
        layer = self.channel_layer
        logger.warning("Redis subscriptions lost and renewed: %d local channel(s) told to resync", len(layer.channels))
        message = layer.channel_layer.serialize(RESUBSCRIBED)
        for queue in layer.channels.values():
            queue.put_nowait(message)


class WatchedLoopLayer(RedisPubSubLoopLayer):
    _shards: list[WatchedShard]

    def __init__(self, *args: Any, hosts: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, hosts=hosts, **kwargs)
        self._shards = [WatchedShard(shard.host, self) for shard in self._shards]


class ResyncingPubSubChannelLayer(RedisPubSubChannelLayer):
    """``RedisPubSubChannelLayer`` whose consumers hear ``layer.resubscribed`` after a Redis outage."""

    def _get_layer(self) -> RedisPubSubLoopLayer:
        loop = asyncio.get_running_loop()
        if loop not in self._layers:
            self._layers[loop] = WatchedLoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)  # the parent's cleanup: the pool goes with its loop
        return self._layers[loop]
