"""Webhook ingestion: Telegram updates and VK events posted as fast as they are acknowledged.

One daphne answers the webhooks (store, acknowledge); one Celery worker turns the stored updates into
messages; bench operators watch the workspace socket, so "reaches the operator" is measured where an
operator would see it. Outbound API hosts point at a closed loopback port: nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench import common
from bench.relay import BENCH_DATABASE, Recorder, key_in, message_text, read_forever, workspace_socket

TELEGRAM_SECRET = "bench-telegram-secret"
VK_SECRET = "bench-vk-secret"
VK_GROUP = "4242"
SENDERS = 20  # few senders: VK asks users.get once per new sender, and operators have 4 slots each
CONCURRENCY = 16
DEAD_API = "http://127.0.0.1:9"  # the discard port: connection refused, nothing leaves the machine
BROKER_DB = 13


def _env(database_url: str) -> dict[str, str]:
    env = common.bench_env(database_url, "pubsub", f"benchhook{os.getpid()}")
    env.update(
        {
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "CELERY_BROKER_URL": common.REDIS_URL.rsplit("/", 1)[0] + f"/{BROKER_DB}",
            "TELEGRAM_BOT_TOKEN": "123:bench",
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_API_URL": DEAD_API,
            "VK_GROUP_ID": VK_GROUP,
            "VK_GROUP_TOKEN": "bench",
            "VK_CALLBACK_SECRET": VK_SECRET,
            "VK_CONFIRMATION_CODE": "bench",
            "VK_API_URL": DEAD_API,
        }
    )
    return env


def telegram_update(run: int, n: int) -> tuple[str, dict[str, Any], dict[str, str]]:
    sender = 700_000 + n % SENDERS
    update = {
        "update_id": run * 1_000_000 + n,
        "message": {
            "message_id": run * 1_000_000 + n,
            "date": int(time.time()),
            "chat": {"id": sender, "type": "private", "first_name": "Bench"},
            "from": {"id": sender, "is_bot": False, "first_name": "Bench", "language_code": "en"},
            "text": message_text(f"tg{run}.{n}"),
        },
    }
    return f"tg{run}.{n}", update, {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}


def vk_event(run: int, n: int) -> tuple[str, dict[str, Any], dict[str, str]]:
    sender = 800_000 + n % SENDERS
    event = {
        "type": "message_new",
        "group_id": int(VK_GROUP),
        "event_id": uuid.uuid4().hex,
        "v": "5.199",
        "secret": VK_SECRET,
        "object": {
            "message": {
                "date": int(time.time()),
                "from_id": sender,
                "peer_id": sender,
                "id": 0,
                "conversation_message_id": run * 1_000_000 + n,
                "text": message_text(f"vk{run}.{n}"),
            },
            "client_info": {"lang_id": 3},
        },
    }
    return f"vk{run}.{n}", event, {}


Builder = Callable[[int, int], tuple[str, dict[str, Any], dict[str, str]]]


async def post_all(url: str, build: Builder, count: int, run: int) -> dict[str, Any]:
    """``count`` posts from ``CONCURRENCY`` workers, each posting the next as soon as the last was acked."""
    import httpx

    sent: dict[str, float] = {}
    acks: list[float] = []
    failures: list[int] = []
    counter = iter(range(count))

    async def worker(client: httpx.AsyncClient) -> None:
        for n in counter:
            key, body, headers = build(run, n)
            started = time.perf_counter()
            sent[key] = started
            response = await client.post(url, content=json.dumps(body), headers=headers)
            acks.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                failures.append(response.status_code)

    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
        seconds = time.perf_counter() - started
    return {"sent": sent, "acks": acks, "failures": failures, "seconds": seconds}


async def _measure(server: common.Server, sessions: list[str], updates: int) -> dict[str, Any]:
    recorder = Recorder()

    def on_frame(frame: dict[str, Any]) -> None:
        if frame.get("type") == "event" and frame.get("kind") == "message.new":
            key = key_in(str((frame.get("payload") or {}).get("text", "")))
            if key:
                recorder.note(key)

    sockets = [await workspace_socket(server.ws, sessionid) for sessionid in sessions]
    readers = [asyncio.create_task(read_forever(ws, on_frame)) for ws in sockets]
    run = random.randint(1, 999)
    results: dict[str, Any] = {}
    try:
        for name, path, build in (
            ("telegram", "/connectors/telegram/webhook/", telegram_update),
            ("vk", "/connectors/vk/callback/", vk_event),
        ):
            posted = await post_all(server.http + path, build, updates, run)
            # Wait until the worker has turned every update into a message the operator saw.
            deadline, last, last_change = time.perf_counter() + 120, -1, time.perf_counter()
            while time.perf_counter() < deadline:
                seen = sum(1 for key in posted["sent"] if key in recorder.arrived)
                if seen == len(posted["sent"]):
                    break
                if seen != last:
                    last, last_change = seen, time.perf_counter()
                elif time.perf_counter() - last_change > 10:
                    break
                await asyncio.sleep(0.1)
            to_operator = [
                (recorder.arrived[key] - at) * 1000 for key, at in posted["sent"].items() if key in recorder.arrived
            ]
            last_arrival = max((recorder.arrived[k] for k in posted["sent"] if k in recorder.arrived), default=None)
            first_post = min(posted["sent"].values())
            results[name] = {
                "updates": updates,
                "acked_per_s": round(updates / posted["seconds"]),
                "ack_ms": common.latency_summary(posted["acks"]),
                "non_200": len(posted["failures"]),
                "reached_operator": len(to_operator),
                "to_operator_ms": common.latency_summary(to_operator),
                "processed_per_s": round(len(to_operator) / (last_arrival - first_post)) if last_arrival else None,
            }
    finally:
        for task in readers:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return results


def run(sizes: common.Sizes) -> dict:
    database_url = common.ensure_postgres_database(BENCH_DATABASE)
    env = _env(database_url)
    common.admin(env, "prepare")
    operator_count = max(1, SENDERS // 4) * 2  # both connectors' senders hold a chat each
    sessions = [row["sessionid"] for row in common.admin(env, "operators", count=operator_count)["operators"]]
    worker_log = (common.VAR / "celery-webhooks.log").open("wb")
    worker = subprocess.Popen(
        [
            common.PYTHON,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-l",
            "warning",
            "--concurrency",
            "2",
            "--without-gossip",
            "--without-mingle",
            "--purge",
        ],
        env=env,
        cwd=common.REPO,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    try:
        with common.servers([("config.asgi:application", env, "webhooks")]) as (server,):
            data = asyncio.run(_measure(server, sessions, sizes.webhook_updates))
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        worker_log.close()
    common.admin(env, "reset")
    data["celery_workers"] = 2
    data["concurrency"] = CONCURRENCY
    return data


def report(data: dict) -> str:
    rows = []
    for name in ("telegram", "vk"):
        row = data[name]
        ack, seen = row["ack_ms"], row["to_operator_ms"]
        rows.append(
            [
                name,
                row["updates"],
                row["acked_per_s"],
                f"{ack['p50']} / {ack['p99']}",
                row["non_200"],
                f"{row['reached_operator']} ({row['processed_per_s']}/s)",
                f"{seen['p50']} / {seen['p99']}",
            ]
        )
    return (
        f"{data['concurrency']} concurrent posters, one daphne, one Celery worker (concurrency "
        f"{data['celery_workers']}), PostgreSQL + Redis.\n\n"
        + common.markdown_table(
            [
                "connector",
                "updates",
                "acked/s",
                "ack p50 / p99 (ms)",
                "non-200",
                "reached operator (rate)",
                "post -> operator p50 / p99 (ms)",
            ],
            rows,
        )
    )
