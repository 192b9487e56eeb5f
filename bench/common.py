"""What every scenario shares: servers on free loopback ports, percentiles, versions, the results file."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import resource
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DAPHNE = str(Path(PYTHON).with_name("daphne"))
RESULTS_FILE = REPO / "docs" / "benchmarks.md"
PG_ROOT = os.environ.get("BENCH_PG_ROOT", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
VAR = REPO / "var" / "bench"


@dataclass(frozen=True)
class Sizes:
    """How big each scenario runs: ``full`` for ``make bench``, ``smoke`` for the test suite."""

    pairs: Sequence[int]
    # Below the fixed rates, so a system that saturates early still has a measured knee.
    probe_rates: Sequence[int]
    rates: Sequence[int]
    step_seconds: float
    max_rate: int
    burst_conversations: int
    burst_operators: int
    close_count: int
    connections: int
    chat_rate: int
    chat_seconds: float
    webhook_updates: int
    page_loads: int
    layers: Sequence[str] = ("core", "pubsub")
    kb_articles: int = 5000
    kb_searches: int = 600
    preshot_shoppers: int = 2000
    preshot_calls: int = 600
    # Webhooks posted on a schedule (open loop): this many a second for this long, per connector.
    webhook_rate: int = int(os.environ.get("BENCH_WEBHOOK_RATE", "100"))
    webhook_seconds: float = float(os.environ.get("BENCH_WEBHOOK_SECONDS", "60"))


FULL = Sizes(
    pairs=tuple(int(n) for n in os.environ.get("BENCH_PAIRS", "1,50,200").split(",")),
    probe_rates=(10, 25, 50),
    rates=(100, 250, 500, 1000),
    step_seconds=3.0,
    max_rate=4000,
    # 10,000 per the issue when the machine is quiet (BENCH_BURST_CONVERSATIONS=10000); the arrival
    # path ran at well under 100/s on a shared machine, so the default keeps the run to minutes.
    burst_conversations=int(os.environ.get("BENCH_BURST_CONVERSATIONS", "3000")),
    burst_operators=int(os.environ.get("BENCH_BURST_OPERATORS", "500")),
    close_count=200,
    connections=int(os.environ.get("BENCH_CONNECTIONS", "5000")),
    chat_rate=50,
    chat_seconds=10.0,
    webhook_updates=int(os.environ.get("BENCH_WEBHOOK_UPDATES", "600")),
    page_loads=7,
)
SMOKE = Sizes(
    pairs=(2,),
    probe_rates=(),
    rates=(50,),
    step_seconds=0.5,
    max_rate=50,
    burst_conversations=30,
    burst_operators=5,
    close_count=5,
    connections=20,
    chat_rate=10,
    chat_seconds=1.0,
    webhook_updates=20,
    page_loads=1,
    layers=("pubsub",),
    kb_articles=40,
    kb_searches=30,
    preshot_shoppers=5,
    preshot_calls=20,
    webhook_rate=10,
    webhook_seconds=1.0,
)


def environment() -> dict[str, Any]:
    """Versions and machine, written with every result so numbers are never read out of context."""
    packages = ("Django", "channels", "daphne", "channels-redis", "redis", "websockets")
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "versions": {name: version(name) for name in packages},
        "cores": os.cpu_count(),
        # The machine is shared: the load before the run says how far to trust absolute figures.
        "load_average": os.getloadavg()[0],
        "command": " ".join(shlex.quote(arg) for arg in ["python", "-m", "bench", *sys.argv[1:]]),
    }


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no samples."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def latency_summary(latencies_ms: Sequence[float]) -> dict[str, float | None]:
    return {f"p{q}": _round(percentile(latencies_ms, q)) for q in (50, 95, 99)}


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def raise_open_files(wanted: int) -> int:
    """Lift this process' descriptor limit (servers inherit it) so thousands of sockets fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(max(soft, wanted), hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (for 'where did the time go')."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- Databases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deployment:
    """One way Switchboard (or the floor) is run: which database, which channel layer, how many processes."""

    name: str
    database_url: str | None  # None: the floor, which has no database
    layer: str  # memory, core or pubsub
    processes: int = 1

    def label(self) -> str:
        return f"{self.name} [{self.layer}]"


def bench_env(database_url: str | None, layer: str, prefix: str) -> dict[str, str]:
    """Environment for a Switchboard process (server or admin helper) of one deployment."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        {
            "SECRET_KEY": "bench-secret-key-not-for-production",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "CHANNEL_LAYER_PREFIX": prefix,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(REPO),
        }
    )
    # The benchmarks seat operators without workspace sockets: the embedded default's own periodic
    # sweep would take them offline as gone, so the measured server runs no periodic work.
    env["SWITCHBOARD_PERIODIC_IN_PROCESS"] = "false"
    # The benchmarks are floods from one address on purpose: shopper rate limits off.
    for name in ("widget_message_visitor", "widget_message_ip", "widget_token_ip", "inbound_user"):
        env[f"SWITCHBOARD_RATE_{name.upper()}"] = "off"
    if database_url:
        env["DATABASE_URL"] = database_url
    if layer in ("core", "pubsub"):
        env["REDIS_URL"] = REDIS_URL
        env["CHANNEL_LAYER_KIND"] = layer
        env["CELERY_TASK_ALWAYS_EAGER"] = "1"
    return env


def ensure_postgres_database(name: str) -> str:
    """Create the bench's own database if it is missing (never the test or demo database)."""
    import psycopg

    with psycopg.connect(f"{PG_ROOT}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_ROOT}/{name}"


def sqlite_url(name: str) -> str:
    VAR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{VAR / name}"


def run_module(args: Sequence[str], env: Mapping[str, str], *, timeout: float = 3600) -> Any:
    """Run ``python -m <args>`` in a Django process of its own; returns the JSON of its last line.

    Measurements run apart from the driver so the driver's imports and settings never skew them."""
    result = subprocess.run(
        [PYTHON, "-m", *args],
        env=dict(env),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def admin(env: Mapping[str, str], command: str, **options: Any) -> Any:
    """Run one ``bench.admin`` command in a Django process of the deployment; returns its JSON answer."""
    return run_module(["bench.admin", command, json.dumps(options)], env, timeout=1800)


# --- Servers --------------------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    started_cpu: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


def _listening_socket() -> socket.socket:
    """A socket already listening on a free loopback port, handed to daphne with --fd (no port race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(4096)
    sock.set_inheritable(True)
    return sock


def _die_with_parent() -> None:
    """Linux: a server gets SIGTERM when the bench process dies, however it dies."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def launch_daphne(app: str, env: Mapping[str, str], *, name: str) -> Server:
    """Start daphne on a free port without waiting for it (see :func:`_wait_ready`)."""
    VAR.mkdir(parents=True, exist_ok=True)
    sock = _listening_socket()
    port = sock.getsockname()[1]
    log = VAR / f"{name}-{os.getpid()}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [DAPHNE, "--fd", str(sock.fileno()), "--proxy-headers", "-v", "0", app],
            env=dict(env),
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            pass_fds=(sock.fileno(),),
            preexec_fn=_die_with_parent,
        )
    sock.close()
    return Server(process=process, port=port, log=log)


def start_daphne(app: str, env: Mapping[str, str], *, name: str) -> Server:
    server = launch_daphne(app, env, name=name)
    _wait_ready(server)
    return server


def _wait_ready(server: Server, timeout: float = 60.0) -> None:
    """Ready once the app answers a WebSocket handshake (any answer: the app has been imported)."""
    import websockets

    deadline = time.monotonic() + timeout

    async def probe() -> bool:
        try:
            async with websockets.connect(f"{server.ws}/ws/ready-probe/", open_timeout=5):
                return True
        except (websockets.InvalidStatus, websockets.InvalidHandshake):
            return True
        except (OSError, TimeoutError, websockets.ConnectionClosed):
            return False

    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited: {server.log.read_text()[-3000:]}")
        if asyncio.run(probe()):
            server.started_cpu = cpu_seconds(server.pid)
            return
        time.sleep(0.2)
    stop(server)
    raise RuntimeError(f"server did not start in {timeout} s: {server.log.read_text()[-3000:]}")


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextlib.contextmanager
def servers(specs: Sequence[tuple[str, Mapping[str, str], str]]) -> Iterator[list[Server]]:
    """Start daphne processes (app, env, name) and stop them whatever happens."""
    started: list[Server] = []
    try:
        # Launched together, then waited for: two processes boot in the time of one.
        for app, env, name in specs:
            started.append(launch_daphne(app, env, name=name))
        for server in started:
            _wait_ready(server)
        yield started
    finally:
        for server in started:
            stop(server)


# --- Results --------------------------------------------------------------------------------------


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        return "-" if value is None else str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def append_results(title: str, body: str, env_info: Mapping[str, Any], path: Path = RESULTS_FILE) -> None:
    """Append one dated section to the results file; never rewrites what is already there."""
    versions = ", ".join(f"{k} {v}" for k, v in env_info["versions"].items())
    header = (
        f"\n## {title} ({env_info['date']})\n\n"
        f"- Command: `{env_info['command']}`\n"
        f"- Machine: {env_info['cores']} cores, load average {env_info['load_average']:.1f} at start "
        "(shared with other work)\n"
        f"- Python {env_info['python']}; {versions}\n\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text("# Benchmarks\n\nResults of `make bench` (`python -m bench`), newest last.\n")
    with path.open("a") as out:
        out.write(header + body.rstrip() + "\n")
