"""The deployment of deploy/ on loopback: a private redis-server, daphne processes, nginx before them.

``cluster`` (function scope) starts it against this run's test PostgreSQL database; tests kill and
restart its parts. Figures a test measures go to ``var/faults/<test>.json`` (docs/reliability.md
quotes them) and to the test's output.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, connections

from tests.faults import processes

RESULTS = processes.REPO / "var" / "faults"


def database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}{port}/{db['NAME']}"


@pytest.fixture
def private_redis() -> Iterator[str]:
    """A redis-server of this test's own (never the shared one on 6379): killed and restarted freely."""
    port = processes.free_port()
    server = processes.redis_server(port)
    processes.start_redis(server, port)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.close()


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
def cluster(transactional_db: None, private_redis: str, tmp_path: Path) -> Iterator[Cluster]:
    if not settings.USING_POSTGRES:
        pytest.skip("the fault tests run the scaled-out form: set DATABASE_URL (PostgreSQL)")
    env = processes.server_env(
        DATABASE_URL=database_url(),
        REDIS_URL=private_redis,
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
