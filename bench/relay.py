"""Relay latency: shoppers send timestamped messages at a fixed total rate, operators record arrival.

The same load client drives the floor (a bare relay consumer) and Switchboard (widget in, workspace
out), so the only difference between the two columns is what Switchboard does per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.typing import Origin

from bench import common
from bench.common import latency_summary

# The bench's own database (never the test or demo one); the smoke test points it elsewhere.
BENCH_DATABASE = os.environ.get("BENCH_DATABASE", "sb_bench")
P99_LIMIT_MS = 50.0
# A step counts as kept only if the client managed to send at this share of the asked rate.
SEND_RATE_TOLERANCE = 0.9
MAX_FRAME = 2**20
# Warm-up messages per second: Switchboard opens and assigns one conversation per shopper here.
WARMUP_RATE = 20


@dataclass
class Shopper:
    socket: ClientConnection
    send_message: Callable[[ClientConnection, str], Awaitable[None]]


@dataclass
class Recorder:
    """Arrival times by message key, filled by every operator socket's reader task."""

    arrived: dict[str, float] = field(default_factory=dict)

    def note(self, key: str) -> None:
        self.arrived.setdefault(key, time.perf_counter())


class Target(Protocol):
    """A system under test with N connected shopper/operator pairs."""

    name: str

    async def connect(self, pairs: int, recorder: Recorder) -> list[Shopper]: ...

    async def close(self) -> None: ...


KEY_MARK = "bench#"


def message_text(key: str) -> str:
    return f"{KEY_MARK}{key}#"


def key_in(text: str) -> str | None:
    start = text.find(KEY_MARK)
    if start < 0:
        return None
    end = text.find("#", start + len(KEY_MARK))
    return text[start + len(KEY_MARK) : end] if end > 0 else None


async def read_forever(socket: ClientConnection, on_frame: Callable[[dict[str, Any]], None]) -> None:
    with contextlib.suppress(websockets.ConnectionClosed, asyncio.CancelledError):
        async for raw in socket:
            frame = json.loads(raw)
            on_frame(frame)


async def run_step(
    shoppers: Sequence[Shopper],
    recorder: Recorder,
    *,
    rate: int,
    seconds: float,
    step: str,
    drain_seconds: float = 10.0,
    total: int | None = None,
) -> dict:
    """Send ``rate`` msg/s in total, round robin over the shoppers, for ``seconds``; then drain."""
    total = total or max(1, int(rate * seconds))
    sent: dict[str, float] = {}
    started = time.perf_counter()
    for k in range(total):
        due = started + k / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        shopper = shoppers[k % len(shoppers)]
        key = f"{step}.{k}"
        sent[key] = time.perf_counter()
        try:
            await shopper.send_message(shopper.socket, message_text(key))
        except websockets.ConnectionClosed:
            del sent[key]
    send_seconds = max(time.perf_counter() - started, 1e-9)
    # Drain: wait until everything arrived, or nothing new arrived for a while.
    deadline = time.perf_counter() + drain_seconds
    last_count, last_change = -1, time.perf_counter()
    while time.perf_counter() < deadline:
        count = sum(1 for key in sent if key in recorder.arrived)
        if count == len(sent):
            break
        if count != last_count:
            last_count, last_change = count, time.perf_counter()
        elif time.perf_counter() - last_change > min(3.0, drain_seconds):
            break
        await asyncio.sleep(0.05)
    latencies = [(recorder.arrived[key] - at) * 1000 for key, at in sent.items() if key in recorder.arrived]
    delivered = 100 * len(latencies) / total
    return {
        "rate": rate,
        "sent": len(sent),
        "achieved_rate": round(len(sent) / send_seconds),
        "delivered_pct": round(delivered, 2),
        **latency_summary(latencies),
    }


def _progress(target: Target, pairs: int, result: dict) -> None:
    print(f"  {target.name} pairs={pairs} {json.dumps(result)}", flush=True)


def step_ok(result: dict) -> bool:
    p99 = result["p99"]
    return (
        p99 is not None
        and p99 < P99_LIMIT_MS
        and result["delivered_pct"] >= 99.0
        and result["achieved_rate"] >= SEND_RATE_TOLERANCE * result["rate"]
    )


def rate_steps(fixed: Sequence[int], max_rate: int) -> list[int]:
    """The fixed rates, then up by half each time until ``max_rate`` (saturation stops it earlier)."""
    steps = list(fixed)
    rate = steps[-1]
    while rate * 1.5 <= max_rate:
        rate = int(rate * 1.5)
        steps.append(rate)
    return steps


async def measure(
    target: Target, *, pairs: int, rates: Sequence[int], max_rate: int, seconds: float, probes: Sequence[int] = ()
) -> dict:
    """All rate steps for one target and pair count; stops stepping past saturation."""
    recorder = Recorder()
    shoppers = await target.connect(pairs, recorder)
    steps: list[dict] = []
    try:
        # Warm up: one message each (Switchboard opens and assigns the conversations here).
        warm = await run_step(
            shoppers, recorder, rate=WARMUP_RATE, seconds=0, total=pairs, step="warm", drain_seconds=60
        )
        for rate in probes:
            result = await run_step(shoppers, recorder, rate=rate, seconds=seconds, step=f"r{rate}")
            steps.append(result)
            _progress(target, pairs, result)
            if not step_ok(result):
                break  # saturated already: go on to the fixed rates for the comparison
        for rate in rate_steps(rates, max_rate):
            result = await run_step(shoppers, recorder, rate=rate, seconds=seconds, step=f"r{rate}")
            steps.append(result)
            _progress(target, pairs, result)
            fixed = rate in rates
            if not step_ok(result) and not fixed:
                break
            if result["delivered_pct"] < 50 or (result["p99"] or 0) > 2000:
                break  # far past saturation: more only piles up a backlog
    finally:
        await target.close()
    knee = max((s["rate"] for s in steps if step_ok(s)), default=0)
    return {
        "target": target.name,
        "pairs": pairs,
        "warmup_delivered_pct": warm["delivered_pct"],
        "steps": steps,
        "max_rate_p99_under_50ms": knee,
    }


# --- The floor ------------------------------------------------------------------------------------


async def _send_raw(socket: ClientConnection, text: str) -> None:
    await socket.send(text)


class FloorTarget:
    """Shoppers on ``shopper_url`` and operators on ``operator_url`` (two processes or one)."""

    def __init__(self, name: str, shopper_base: str, operator_base: str) -> None:
        self.name = name
        self.shopper_base = shopper_base
        self.operator_base = operator_base
        self.sockets: list[ClientConnection] = []
        self.readers: list[asyncio.Task[None]] = []

    async def connect(self, pairs: int, recorder: Recorder) -> list[Shopper]:
        def on_frame(frame: Any) -> None:
            key = key_in(frame) if isinstance(frame, str) else None
            if key:
                recorder.note(key)

        operators = [
            await websockets.connect(f"{self.operator_base}/ws/floor/operator/{i}/", max_size=MAX_FRAME)
            for i in range(pairs)
        ]
        shoppers = [
            await websockets.connect(f"{self.shopper_base}/ws/floor/shopper/{i}/", max_size=MAX_FRAME)
            for i in range(pairs)
        ]
        self.sockets = operators + shoppers
        self.readers = [asyncio.create_task(_read_text(ws, on_frame)) for ws in operators]
        return [Shopper(socket=ws, send_message=_send_raw) for ws in shoppers]

    async def close(self) -> None:
        await close_all(self.sockets, self.readers)


async def _read_text(socket: ClientConnection, on_frame: Callable[[Any], None]) -> None:
    with contextlib.suppress(websockets.ConnectionClosed, asyncio.CancelledError):
        async for raw in socket:
            on_frame(raw)


async def close_all(sockets: Sequence[ClientConnection], readers: Sequence[asyncio.Task[None]]) -> None:
    for task in readers:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    await asyncio.gather(*readers, return_exceptions=True)


# --- Switchboard ----------------------------------------------------------------------------------


async def send_widget_message(socket: ClientConnection, text: str) -> None:
    await socket.send(json.dumps({"type": "message", "text": text, "client_id": key_in(text) or text[:60]}))


async def visitor_token(http_base: str, client: Any) -> str:
    response = await client.post(f"{http_base}/connectors/widget/session/", json={})
    response.raise_for_status()
    return response.json()["token"]


async def widget_socket(ws_base: str, token: str) -> ClientConnection:
    """A shopper's widget connection after hello (the state frame is read and dropped)."""
    socket = await websockets.connect(
        f"{ws_base}/ws/widget/", origin=Origin(ws_base.replace("ws://", "http://")), max_size=MAX_FRAME, open_timeout=60
    )
    await socket.send(json.dumps({"type": "hello", "token": token}))
    await asyncio.wait_for(socket.recv(), 60)
    return socket


async def workspace_socket(ws_base: str, sessionid: str) -> ClientConnection:
    socket = await websockets.connect(
        f"{ws_base}/ws/workspace/",
        origin=Origin(ws_base.replace("ws://", "http://")),
        additional_headers={"Cookie": f"sessionid={sessionid}"},
        max_size=MAX_FRAME,
        open_timeout=60,
    )
    hello = json.loads(await asyncio.wait_for(socket.recv(), 60))
    if hello.get("type") != "hello":
        raise RuntimeError(f"workspace refused the bench operator: {hello}")
    return socket


class SwitchboardTarget:
    """Shoppers over the widget socket of one process, operators over the workspace socket of another
    (or the same). Operators must already be online with sessions (``bench.admin operators``)."""

    def __init__(self, name: str, shopper_http: str, operator_http: str, sessions: Sequence[str]) -> None:
        self.name = name
        self.shopper_http = shopper_http
        self.operator_http = operator_http
        self.sessions = sessions
        self.sockets: list[ClientConnection] = []
        self.readers: list[asyncio.Task[None]] = []

    @staticmethod
    def operator_frame_reader(recorder: Recorder) -> Callable[[dict[str, Any]], None]:
        """Notes the arrival of every bench message an operator's workspace socket streams."""

        def on_operator_frame(frame: dict[str, Any]) -> None:
            if frame.get("type") == "event" and frame.get("kind") == "message.new":
                key = key_in(str((frame.get("payload") or {}).get("text", "")))
                if key:
                    recorder.note(key)

        return on_operator_frame

    async def connect(self, pairs: int, recorder: Recorder) -> list[Shopper]:
        import httpx

        on_operator_frame = self.operator_frame_reader(recorder)

        ws_operator = self.operator_http.replace("http://", "ws://")
        ws_shopper = self.shopper_http.replace("http://", "ws://")
        operators = [await workspace_socket(ws_operator, sessionid) for sessionid in self.sessions]
        async with httpx.AsyncClient(timeout=60) as client:
            tokens = [await visitor_token(self.shopper_http, client) for _ in range(pairs)]
        shoppers = [await widget_socket(ws_shopper, token) for token in tokens]
        self.sockets = operators + shoppers
        # Shoppers' own echoes are read and dropped so the server never waits on a full buffer.
        self.readers = [asyncio.create_task(read_forever(ws, on_operator_frame)) for ws in operators]
        self.readers += [asyncio.create_task(read_forever(ws, lambda frame: None)) for ws in shoppers]
        return [Shopper(socket=ws, send_message=send_widget_message) for ws in shoppers]

    async def close(self) -> None:
        await close_all(self.sockets, self.readers)


# --- The scenario ---------------------------------------------------------------------------------

FLOOR_APP = "bench.floor.asgi:application"
SWITCHBOARD_APP = "config.asgi:application"


def deployments(layers: Sequence[str], database_url: str, sqlite: str) -> list[common.Deployment]:
    found = [common.Deployment("embedded default (SQLite + in-memory layer)", sqlite, "memory", 1)]
    for layer in layers:
        found.append(common.Deployment("one daphne, PostgreSQL + Redis", database_url, layer, 1))
    for layer in layers:
        found.append(common.Deployment("two daphne, shopper and operator apart", database_url, layer, 2))
    # BENCH_DEPLOYMENTS=embedded,1-pubsub,2-core...: a subset, for working on one of them.
    wanted = os.environ.get("BENCH_DEPLOYMENTS")
    if wanted:
        tags = set(wanted.split(","))
        found = [d for d in found if _tag(d) in tags]
    return found


def _tag(deployment: common.Deployment) -> str:
    return "embedded" if deployment.layer == "memory" else f"{deployment.processes}-{deployment.layer}"


def _floor_env(layer: str, prefix: str) -> dict[str, str]:
    return {
        **os.environ,
        "FLOOR_LAYER": layer,
        "REDIS_URL": common.REDIS_URL,
        "CHANNEL_LAYER_PREFIX": prefix,
        "PYTHONPATH": str(common.REPO),
    }


def _measure_floor(deployment: common.Deployment, pairs: int, sizes: common.Sizes) -> dict:
    env = _floor_env(deployment.layer, f"benchfloor{os.getpid()}")
    specs = [(FLOOR_APP, env, f"floor-{i}") for i in range(deployment.processes)]
    with common.servers(specs) as started:
        target = FloorTarget("floor", started[0].ws, started[-1].ws)
        return _with_cpu(
            started,
            lambda: asyncio.run(
                measure(
                    target,
                    pairs=pairs,
                    rates=sizes.rates,
                    max_rate=sizes.max_rate,
                    seconds=sizes.step_seconds,
                    probes=sizes.probe_rates,
                )
            ),
        )


def _measure_switchboard(deployment: common.Deployment, pairs: int, sizes: common.Sizes) -> dict:
    assert deployment.database_url is not None
    env = common.bench_env(deployment.database_url, deployment.layer, f"benchsb{os.getpid()}")
    operator_count = max(1, math.ceil(pairs / 4))
    sessions = [row["sessionid"] for row in common.admin(env, "operators", count=operator_count)["operators"]]
    specs = [(SWITCHBOARD_APP, env, f"switchboard-{i}") for i in range(deployment.processes)]
    with common.servers(specs) as started:
        target = SwitchboardTarget("switchboard", started[0].http, started[-1].http, sessions)
        result = _with_cpu(
            started,
            lambda: asyncio.run(
                measure(
                    target,
                    pairs=pairs,
                    rates=sizes.rates,
                    max_rate=sizes.max_rate,
                    seconds=sizes.step_seconds,
                    probes=sizes.probe_rates,
                )
            ),
        )
    result["operators"] = operator_count
    return result  # the next run's ``operators`` command closes what this one left open


def _with_cpu(servers: Sequence[common.Server], measure_all: Callable[[], dict]) -> dict:
    """Server CPU per delivered message: less sensitive to a busy machine than latency is."""
    before = sum(common.cpu_seconds(server.pid) for server in servers)
    result = measure_all()
    used = sum(common.cpu_seconds(server.pid) for server in servers) - before
    delivered = sum(step["sent"] * step["delivered_pct"] / 100 for step in result["steps"])
    result["server_cpu_ms_per_message"] = round(used * 1000 / delivered, 2) if delivered else None
    return result


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def _p99_at(result: dict, rate: int) -> float | None:
    return next((step["p99"] for step in result["steps"] if step["rate"] == rate), None)


def run(sizes: common.Sizes) -> dict:
    database_url = common.ensure_postgres_database(BENCH_DATABASE)
    sqlite = common.sqlite_url(f"{BENCH_DATABASE}.sqlite3")
    rows = []
    prepared: set[str | None] = set()
    for deployment in deployments(sizes.layers, database_url, sqlite):
        if deployment.database_url not in prepared:
            common.admin(common.bench_env(deployment.database_url, deployment.layer, "benchprep"), "prepare")
            prepared.add(deployment.database_url)
        for pairs in sizes.pairs:
            floor = _measure_floor(deployment, pairs, sizes)
            switchboard = _measure_switchboard(deployment, pairs, sizes)
            comparison = {
                f"p99_ratio_at_{rate}": _ratio(_p99_at(switchboard, rate), _p99_at(floor, rate)) for rate in sizes.rates
            }
            comparison["knee_ratio"] = _ratio(switchboard["max_rate_p99_under_50ms"], floor["max_rate_p99_under_50ms"])
            rows.append(
                {
                    "deployment": deployment.name,
                    "layer": deployment.layer,
                    "processes": deployment.processes,
                    "pairs": pairs,
                    "floor": floor,
                    "switchboard": switchboard,
                    "switchboard_over_floor": comparison,
                }
            )
            print(json.dumps(comparison | {"pairs": pairs, "deployment": deployment.label()}))
    return {"rows": rows}


def report(data: dict) -> str:
    """Markdown: one table of every step, one table of ratios."""
    steps = []
    ratios = []
    for row in data["rows"]:
        where = f"{row['deployment']} [{row['layer']}]"
        for side in ("floor", "switchboard"):
            for step in row[side]["steps"]:
                steps.append(
                    [
                        where,
                        row["pairs"],
                        side,
                        step["rate"],
                        step["achieved_rate"],
                        step["delivered_pct"],
                        step["p50"],
                        step["p95"],
                        step["p99"],
                    ]
                )
        ratio = row["switchboard_over_floor"]
        ratios.append(
            [
                where,
                row["pairs"],
                row["floor"].get("server_cpu_ms_per_message"),
                row["switchboard"].get("server_cpu_ms_per_message"),
                row["floor"]["max_rate_p99_under_50ms"],
                row["switchboard"]["max_rate_p99_under_50ms"],
                ratio["knee_ratio"],
                *(ratio.get(f"p99_ratio_at_{rate}") for rate in (100, 250)),
            ]
        )
    return (
        "Relay latency, shopper -> operator, ms (p50 / p95 / p99), delivered %, by total rate (msg/s).\n\n"
        + common.markdown_table(
            ["deployment", "pairs", "system", "rate", "sent/s", "delivered %", "p50", "p95", "p99"], steps
        )
        + "\n\nSwitchboard / floor (knee = highest rate with p99 < 50 ms and >= 99% delivered):\n\n"
        + common.markdown_table(
            [
                "deployment",
                "pairs",
                "floor CPU ms/msg",
                "Switchboard CPU ms/msg",
                "floor knee",
                "Switchboard knee",
                "knee ratio",
                "p99 ratio @100",
                "p99 ratio @250",
            ],
            ratios,
        )
    )
