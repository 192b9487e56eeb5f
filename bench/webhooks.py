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
from bench.floor.webhook import PATH as FLOOR_PATH
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
            # The bare one-INSERT endpoint beside the real webhooks, on the same daphne.
            "BENCH_WEBHOOK_FLOOR": "1",
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


def floor_update(run: int, n: int) -> tuple[str, dict[str, Any], dict[str, str]]:
    """The same Telegram update, for the bare endpoint that only stores it."""
    key, update, _ = telegram_update(run, n)
    return "floor" + key, {**update, "floor": True}, {}


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


PACED_OFFSET = 500_000  # paced posts' numbers, apart from the closed loop's
PACED_CONNECTIONS = 64


async def post_paced(url: str, build: Builder, rate: int, seconds: float, run: int) -> dict[str, Any]:
    """Open loop: post ``rate`` updates a second for ``seconds``, each on its own schedule whatever the
    earlier ones are doing (as Telegram sends), so a slow acknowledgement shows as latency."""
    import httpx

    sent: dict[str, float] = {}
    acks: list[float] = []
    failures: list[int] = []
    count = max(1, round(rate * seconds))
    limits = httpx.Limits(max_connections=PACED_CONNECTIONS, max_keepalive_connections=PACED_CONNECTIONS)

    async def one(client: httpx.AsyncClient, n: int) -> None:
        key, body, headers = build(run, PACED_OFFSET + n)
        started = time.perf_counter()
        sent[key] = started
        response = await client.post(url, content=json.dumps(body), headers=headers)
        acks.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            failures.append(response.status_code)

    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        started = time.perf_counter()
        tasks = []
        for n in range(count):
            delay = started + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(client, n)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    return {"sent": sent, "acks": acks, "failures": failures, "seconds": elapsed, "asked_per_s": rate}


def stored_counts(database_url: str, name: str, keys: list[str]) -> tuple[int, int]:
    """(distinct keys stored, rows stored) for these posts: lost = posted - distinct, doubled = rows - distinct."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        if name == "floor":
            rows = conn.execute(
                "SELECT body->'message'->>'text' FROM bench_webhook_floor WHERE body->'message'->>'text' = ANY(%s)",
                [[message_text(key.removeprefix("floor")) for key in keys]],
            ).fetchall()
        else:
            rows = conn.execute(
                "SELECT text FROM chat_message WHERE text = ANY(%s)", [[message_text(key) for key in keys]]
            ).fetchall()
    texts = [row[0] for row in rows]
    return len(set(texts)), len(texts)


async def _wait_for_operator(recorder: Recorder, sent: dict[str, float]) -> None:
    """Until the worker has turned every update into a message the operator saw (or nothing moves for 10 s)."""
    deadline, last, last_change = time.perf_counter() + 120, -1, time.perf_counter()
    while time.perf_counter() < deadline:
        seen = sum(1 for key in sent if key in recorder.arrived)
        if seen == len(sent):
            return
        if seen != last:
            last, last_change = seen, time.perf_counter()
        elif time.perf_counter() - last_change > 10:
            return
        await asyncio.sleep(0.1)


async def _measure(
    server: common.Server, sessions: list[str], sizes: common.Sizes, database_url: str
) -> dict[str, Any]:
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
            ("floor", FLOOR_PATH, floor_update),
            ("telegram", "/connectors/telegram/webhook/", telegram_update),
            ("vk", "/connectors/vk/callback/", vk_event),
        ):
            for mode in ("closed", "paced"):
                if mode == "closed":
                    posted = await post_all(server.http + path, build, sizes.webhook_updates, run)
                else:
                    posted = await post_paced(server.http + path, build, sizes.webhook_rate, sizes.webhook_seconds, run)
                if name != "floor":
                    await _wait_for_operator(recorder, posted["sent"])
                to_operator = [
                    (recorder.arrived[key] - at) * 1000 for key, at in posted["sent"].items() if key in recorder.arrived
                ]
                arrivals = [recorder.arrived[k] for k in posted["sent"] if k in recorder.arrived]
                first_post = min(posted["sent"].values())
                distinct, rows = stored_counts(database_url, name, list(posted["sent"]))
                count = len(posted["sent"])
                results[f"{name}_{mode}" if mode == "paced" else name] = {
                    "mode": mode,
                    "updates": count,
                    "asked_per_s": posted.get("asked_per_s"),
                    "acked_per_s": round(count / posted["seconds"]),
                    "ack_ms": common.latency_summary(posted["acks"]),
                    "non_200": len(posted["failures"]),
                    "reached_operator": len(to_operator) if name != "floor" else None,
                    "to_operator_ms": common.latency_summary(to_operator),
                    "processed_per_s": round(len(to_operator) / (max(arrivals) - first_post)) if arrivals else None,
                    "lost": count - distinct,
                    "doubled": rows - distinct,
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
    common.VAR.mkdir(parents=True, exist_ok=True)
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
            data = asyncio.run(_measure(server, sessions, sizes, database_url))
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


ROWS = ("floor", "telegram", "vk", "floor_paced", "telegram_paced", "vk_paced")


def report(data: dict) -> str:
    rows = []
    for name in ROWS:
        row = data.get(name)
        if row is None:
            continue
        ack, seen = row["ack_ms"], row["to_operator_ms"]
        connector, _, paced = name.partition("_")
        reached = "-" if row["reached_operator"] is None else f"{row['reached_operator']} ({row['processed_per_s']}/s)"
        rows.append(
            [
                "webhook floor (one INSERT)" if connector == "floor" else connector,
                f"paced {row['asked_per_s']}/s" if paced else f"{data['concurrency']} posters",
                row["updates"],
                row["acked_per_s"],
                f"{ack['p50']} / {ack['p99']}",
                row["non_200"],
                reached,
                "-" if connector == "floor" else f"{seen['p50']} / {seen['p99']}",
                f"{row['lost']} / {row['doubled']}",
            ]
        )
    return (
        f"One daphne (the floor is mounted on it), one Celery worker (concurrency {data['celery_workers']}), "
        "PostgreSQL + Redis. Closed loop: each poster sends the next update once the last was acknowledged; "
        "paced: updates sent on a schedule whatever the answers.\n\n"
        + common.markdown_table(
            [
                "endpoint",
                "load",
                "updates",
                "acked/s",
                "ack p50 / p99 (ms)",
                "non-200",
                "reached operator (rate)",
                "post -> operator p50 / p99 (ms)",
                "lost / doubled",
            ],
            rows,
        )
    )
