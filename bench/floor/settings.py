"""Minimal settings for the floor app: no database, no middleware, the channel layer from the env.

``FLOOR_LAYER`` is ``memory``, ``core`` or ``pubsub``; the Redis host is configured exactly as
Switchboard configures it, so the two differ only in what happens between receive and group_send.
"""

from __future__ import annotations

import os
from typing import Any

SECRET_KEY = "floor-bench-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["channels"]
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
ASGI_APPLICATION = "bench.floor.asgi.application"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

_layer = os.environ.get("FLOOR_LAYER", "memory")
CHANNEL_LAYERS: dict[str, dict[str, Any]]
_redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
_prefix = os.environ.get("CHANNEL_LAYER_PREFIX", "floor")
_host = {"address": _redis_url, "socket_timeout": 10, "max_connections": 1000}
if _layer == "memory":
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": (
                "channels_redis.pubsub.RedisPubSubChannelLayer"
                if _layer == "pubsub"
                else "channels_redis.core.RedisChannelLayer"
            ),
            "CONFIG": {"hosts": [_host], "prefix": _prefix},
        }
    }
