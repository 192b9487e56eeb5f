"""Fault runs: a real daphne child on this run's PostgreSQL, with pieces the test breaks on purpose.

``private_redis``: a redis-server of the test's own on a free port (the shared one on 6379 is never
restarted); ``.restart(down_seconds)`` kills it and starts it again on the same port.
``postgres_proxy``: a TCP proxy in front of PostgreSQL; ``.cut()`` drops every connection and refuses
new ones, ``.restore()`` lets them through again.
``fault_daphne(**env)``: starts a daphne whose database goes through the proxy and whose channel layer
is the private Redis, stopped after the test.

``cluster``: the deployment of deploy/ on loopback (daphne processes behind nginx rendered from
deploy/nginx/, the private Redis) against this run's test database; tests kill and restart its
parts. ``record(name, figures)`` keeps a run's figures in ``var/faults/<name>.json``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection, connections

from tests.browser.conftest import LiveDaphne, _database_url
from tests.faults import processes

RESULTS = processes.REPO / "var" / "faults"


def database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}{port}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server owned by one test, on a port nobody else uses."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="redis-")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def restart(self, down_seconds: float) -> None:
        """Kill it (every subscription and connection is gone) and start it again after a while."""
        self.stop()
        time.sleep(down_seconds)
        self.start()


class TcpProxy:
    """A loopback TCP proxy the test can cut (like a database host going away) and restore."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.open = threading.Event()
        self.open.set()
        self.lock = threading.Lock()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.closing = False
        threading.Thread(target=self._accept, daemon=True, name="tcp-proxy").start()

    def _accept(self) -> None:
        while not self.closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open.is_set():
                client.close()  # the host is "down": refused at once, as a dead server would
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.pairs.append((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Every open connection drops and new ones are refused."""
        self.open.clear()
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for pair in pairs:
            for end in pair:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()

    def restore(self) -> None:
        self.open.set()

    def close(self) -> None:
        self.closing = True
        self.cut()
        self.listener.close()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is needed for the fault runs (make test installs it)")
    redis = PrivateRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()
        shutil.rmtree(redis.dir, ignore_errors=True)


@pytest.fixture
def postgres_proxy(django_db_setup: None) -> Iterator[TcpProxy]:
    db = settings.DATABASES["default"]
    proxy = TcpProxy((db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432)))
    try:
        yield proxy
    finally:
        proxy.close()


def _through(url: str, port: int) -> str:
    parts = urlsplit(url)
    auth = parts.netloc.rpartition("@")[0]
    return urlunsplit(parts._replace(netloc=f"{auth}@127.0.0.1:{port}" if auth else f"127.0.0.1:{port}"))


@pytest.fixture
def fault_daphne(django_db_setup: None) -> Iterator[Callable[..., LiveDaphne]]:
    """``fault_daphne(redis=..., proxy=..., **env)``: a started daphne; stopped after the test."""
    if not settings.USING_POSTGRES or not settings.REDIS_URL:
        pytest.skip("fault runs use PostgreSQL and Redis: set DATABASE_URL and REDIS_URL")
    started: list[LiveDaphne] = []

    def start(redis: PrivateRedis | None = None, proxy: TcpProxy | None = None, **extra: str) -> LiveDaphne:
        database = _database_url()
        env = {
            **os.environ,
            "DATABASE_URL": _through(database, proxy.port) if proxy else database,
            "REDIS_URL": redis.url if redis else settings.REDIS_URL,
            "CHANNEL_LAYER_PREFIX": f"sbfault{uuid.uuid4().hex[:8]}",
            "CHANNEL_LAYER_KIND": "pubsub",
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CELERY_TASK_ALWAYS_EAGER": "1",
            "CONN_MAX_AGE": "0",
            "DEBUG": "0",
            "PYTHONUNBUFFERED": "1",
            **processes.FLOOD_LIMITS_OFF,
            **extra,
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        server = LiveDaphne(env=env)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.close()


def log_of(server: LiveDaphne) -> str:
    return Path(server.log_file.name).read_text(errors="replace")[-3000:]


@dataclass
class Cluster:
    env: dict[str, str]
    tmp: Path
    daphne_ports: list[int] = field(default_factory=list)
    daphnes: list[processes.Child] = field(default_factory=list)
    nginx: processes.Child | None = None
    nginx_port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}"

    def start(self, count: int) -> None:
        self.daphne_ports = [processes.free_port() for _ in range(count)]
        self.daphnes = [processes.daphne(port, self.env) for port in self.daphne_ports]
        for child, port in zip(self.daphnes, self.daphne_ports, strict=True):
            processes.start_daphne(child, port)
        self.nginx_port = processes.free_port()
        self.nginx = processes.nginx(self.nginx_port, self.daphne_ports, self.tmp / "nginx")
        self.nginx.start()
        processes.wait_until(lambda: processes.http_ok(f"{self.url}/healthz"), 15, f"nginx\n{self.nginx.log()}")

    def restart_daphne(self, index: int) -> None:
        self.daphnes[index].kill()
        processes.start_daphne(self.daphnes[index], self.daphne_ports[index])

    def logs(self) -> str:
        parts = [f"--- {c.name}\n{c.log()}" for c in [*self.daphnes, *([self.nginx] if self.nginx else [])]]
        return "\n".join(parts)

    def close(self) -> None:
        for child in [*self.daphnes, *([self.nginx] if self.nginx else [])]:
            child.close()


@pytest.fixture
def cluster(transactional_db: None, private_redis: PrivateRedis, tmp_path: Path) -> Iterator[Cluster]:
    if not settings.USING_POSTGRES:
        pytest.skip("the fault tests run the scaled-out form: set DATABASE_URL (PostgreSQL)")
    env = processes.server_env(
        DATABASE_URL=database_url(),
        REDIS_URL=private_redis.url,
        CHANNEL_LAYER_PREFIX=f"sbfault{uuid.uuid4().hex[:8]}",
        SECRET_KEY=settings.SECRET_KEY,
        CELERY_TASK_ALWAYS_EAGER="1",
        # Every request and consumer call closes its connection: the test's flush never waits on it.
        CONN_MAX_AGE="0",
    )
    running = Cluster(env=env, tmp=tmp_path)
    try:
        yield running
    finally:
        running.close()
        connections.close_all()


def record(name: str, figures: dict[str, Any]) -> None:
    """Keep a run's figures (var/ is not tracked) and print them for the test's output."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2, sort_keys=True))
    print(f"{name}: {json.dumps(figures, sort_keys=True)}")
