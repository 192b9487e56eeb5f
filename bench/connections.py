"""Many widget connections on one daphne: memory per connection, and latency for the few who chat.

Most sockets only say hello and stay idle (a shopper with the chat open, nobody writing); a tenth
chat, each through a conversation assigned to a bench operator, at a modest total rate.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from typing import Any

from bench import common
from bench.relay import (
    BENCH_DATABASE,
    Recorder,
    Shopper,
    SwitchboardTarget,
    close_all,
    read_forever,
    run_step,
    send_widget_message,
    widget_socket,
    workspace_socket,
)

CHATTING_SHARE = 0.10
CONNECT_CONCURRENCY = 50


async def _connect_many(ws_base: str, tokens: list[str]) -> tuple[list[Any], float]:
    """Connect and say hello on every token, ``CONNECT_CONCURRENCY`` at a time."""
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(token: str) -> Any:
        async with gate:
            return await widget_socket(ws_base, token)

    started = time.perf_counter()
    sockets = await asyncio.gather(*(one(token) for token in tokens), return_exceptions=True)
    return list(sockets), time.perf_counter() - started


async def _measure(
    server: common.Server, tokens: list[str], chatting: int, sessions: list[str], sizes: common.Sizes
) -> dict[str, Any]:
    recorder = Recorder()
    operators = [await workspace_socket(server.ws, sessionid) for sessionid in sessions]
    readers = [
        asyncio.create_task(read_forever(ws, SwitchboardTarget.operator_frame_reader(recorder))) for ws in operators
    ]
    baseline_kb = common.rss_kb(server.pid)
    sockets, connect_seconds = await _connect_many(server.ws, tokens)
    failed = [s for s in sockets if isinstance(s, BaseException)]
    connected = [s for s in sockets if not isinstance(s, BaseException)]
    await asyncio.sleep(2)
    loaded_kb = common.rss_kb(server.pid)
    readers += [asyncio.create_task(read_forever(ws, lambda frame: None)) for ws in connected]
    chatters = [Shopper(socket=ws, send_message=send_widget_message) for ws in connected[:chatting]]
    try:
        warm = await run_step(
            chatters, recorder, rate=20, seconds=0, total=len(chatters), step="warm", drain_seconds=90
        )
        result = await run_step(
            chatters, recorder, rate=sizes.chat_rate, seconds=sizes.chat_seconds, step="chat", drain_seconds=15
        )
        still_open = sum(1 for ws in connected if ws.state.name == "OPEN")
        after_kb = common.rss_kb(server.pid)
    finally:
        await close_all(operators + connected, readers)
    return {
        "asked": len(tokens),
        "connected": len(connected),
        "failed": len(failed),
        "failure_example": repr(failed[0])[:200] if failed else "",
        "connect_seconds": round(connect_seconds, 1),
        "handshakes_per_s": round(len(connected) / connect_seconds) if connect_seconds else None,
        "rss_baseline_mb": round(baseline_kb / 1024, 1),
        "rss_connected_mb": round(loaded_kb / 1024, 1),
        "rss_after_chat_mb": round(after_kb / 1024, 1),
        "rss_per_connection_kb": round((loaded_kb - baseline_kb) / max(1, len(connected)), 1),
        "chatting": len(chatters),
        "warmup_delivered_pct": warm["delivered_pct"],
        "chat": result,
        "still_open_after": still_open,
    }


def run(sizes: common.Sizes) -> dict:
    database_url = common.ensure_postgres_database(BENCH_DATABASE)
    env = common.bench_env(database_url, "pubsub", f"benchconn{os.getpid()}")
    common.admin(env, "prepare")
    chatting = max(1, int(sizes.connections * CHATTING_SHARE))
    operator_count = math.ceil(chatting / 4)
    sessions = [row["sessionid"] for row in common.admin(env, "operators", count=operator_count)["operators"]]
    tokens = common.admin(env, "widget_tokens", count=sizes.connections)["tokens"]
    common.raise_open_files(sizes.connections * 2 + 1024)
    with common.servers([("config.asgi:application", env, "connections")]) as (server,):
        data = asyncio.run(_measure(server, tokens, chatting, sessions, sizes))
    common.admin(env, "reset")
    data["operators"] = operator_count
    return data


def report(data: dict) -> str:
    chat = data["chat"]
    rows = [
        ["widget connections asked / open / failed", f"{data['asked']} / {data['connected']} / {data['failed']}"],
        ["connect + hello (s) / handshakes per s", f"{data['connect_seconds']} / {data['handshakes_per_s']}"],
        [
            "daphne RSS before / all connected / after chat (MB)",
            f"{data['rss_baseline_mb']} / {data['rss_connected_mb']} / {data['rss_after_chat_mb']}",
        ],
        ["RSS per connection (KB)", data["rss_per_connection_kb"]],
        ["chatting shoppers / operators", f"{data['chatting']} / {data['operators']}"],
        [
            f"chat at {chat['rate']} msg/s: sent/s, delivered %",
            f"{chat['achieved_rate']}, {chat['delivered_pct']}",
        ],
        ["chat latency p50 / p95 / p99 (ms)", f"{chat['p50']} / {chat['p95']} / {chat['p99']}"],
        ["sockets still open at the end", data["still_open_after"]],
    ]
    if data["failure_example"]:
        rows.append(["first failure", data["failure_example"]])
    return "One daphne on PostgreSQL + Redis (pub/sub layer).\n\n" + common.markdown_table(["measure", "value"], rows)
