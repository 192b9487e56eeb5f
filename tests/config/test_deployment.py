"""How a deployment is told apart and addressed: its channel-layer prefix and the port it prints."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings

from config.prefix import channel_layer_prefix

ROOT = Path(__file__).resolve().parents[2]
SHOP_A = {"ENGINE": "django.db.backends.postgresql", "NAME": "shop_a", "HOST": "127.0.0.1", "PORT": 5432}
SHOP_B = {**SHOP_A, "NAME": "shop_b"}


def setting(name: str, **env: str) -> str:
    """A setting as a fresh process reads it from this environment (nothing from a .env overrides it)."""
    clean = {k: v for k, v in os.environ.items() if k not in ("CHANNEL_LAYER_PREFIX", "DATABASE_URL", "PORT")}
    code = f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()


def test_two_deployments_on_one_redis_do_not_hear_each_other() -> None:
    async def run() -> list[str]:
        def layer(database: dict) -> RedisPubSubChannelLayer:
            host = {"address": settings.REDIS_URL, "socket_timeout": 10}
            return RedisPubSubChannelLayer(hosts=[host], prefix=channel_layer_prefix(database))

        shop_a, shop_a_other_process, shop_b = layer(SHOP_A), layer(dict(SHOP_A)), layer(SHOP_B)
        channel = await shop_a.new_channel()
        await shop_a.group_add("staff", channel)
        heard: list[str] = []
        try:
            await shop_b.group_send("staff", {"type": "event", "from": "shop b"})
            await shop_a_other_process.group_send("staff", {"type": "event", "from": "shop a"})
            while True:
                message = await asyncio.wait_for(shop_a.receive(channel), timeout=2)
                heard.append(message["from"])
        except TimeoutError:
            pass
        finally:
            for each in (shop_a, shop_a_other_process, shop_b):
                await each.flush()
        return heard

    assert asyncio.run(run()) == ["shop a"]


def test_the_prefix_follows_the_database_unless_it_is_set() -> None:
    a = setting("CHANNEL_LAYER_PREFIX", DATABASE_URL="postgres://u@db1:5432/shop_a")
    again = setting("CHANNEL_LAYER_PREFIX", DATABASE_URL="postgres://u@db1:5432/shop_a")
    b = setting("CHANNEL_LAYER_PREFIX", DATABASE_URL="postgres://u@db1:5432/shop_b")
    same_name_elsewhere = setting("CHANNEL_LAYER_PREFIX", DATABASE_URL="postgres://u@db2:5432/shop_a")
    assert a == again and a.startswith("sb-shop_a-")
    assert len({a, b, same_name_elsewhere}) == 3
    chosen = setting("CHANNEL_LAYER_PREFIX", DATABASE_URL="postgres://u@db1:5432/shop_a", CHANNEL_LAYER_PREFIX="mine")
    assert chosen == "mine"


@pytest.mark.embedded
def test_make_run_on_another_port_prints_and_links_that_port() -> None:
    assert setting("SITE_URL", PORT="8100") == "http://127.0.0.1:8100"
    dry_run = subprocess.run(
        ["make", "-n", "run", "PORT=8100"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    load_demo = next(line for line in dry_run.splitlines() if "load_demo" in line)
    assert "PORT=8100" in load_demo
