"""Real processes for the fault tests: daphne, nginx from deploy/, a private redis-server, Celery.

Every process is a child of the test, on free loopback ports, with its output in a temporary log
that failure messages quote; ``kill()`` is SIGKILL (a crash, no clean-up of any kind).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 45.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(interval)


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


class Child:
    """One child process with its own log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.log_path = Path(tempfile.mkstemp(prefix=f"fault-{name}-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.args, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """kill -9 of the process group: the process and anything it forked die at once."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def close(self) -> None:
        self.stop()
        self.log_path.unlink(missing_ok=True)


# The fault runs are floods from one address on purpose (as the benchmarks are): shopper rate limits
# off, so what they count is what faults do, not what the limits refuse.
FLOOD_LIMITS_OFF = {
    f"SWITCHBOARD_RATE_{name.upper()}": "off"
    for name in ("widget_message_visitor", "widget_message_ip", "widget_token_ip", "inbound_user")
}


def server_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({"PYTHONUNBUFFERED": "1", "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost"})
    env.update(FLOOD_LIMITS_OFF)
    env.update(overrides)
    return env


def daphne(port: int, env: dict[str, str]) -> Child:
    args = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
    return Child(f"daphne-{port}", args, env)


def start_daphne(child: Child, port: int) -> None:
    child.start()
    wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/healthz") or not child.alive, START_TIMEOUT, "daphne")
    if not child.alive:
        raise RuntimeError(f"daphne exited:\n{child.log()}")


def nginx(listen_port: int, upstream_ports: list[int], directory: Path) -> Child:
    """nginx rendered from deploy/nginx/ exactly as ``make serve`` renders it."""
    spec = importlib.util.spec_from_file_location("deploy_nginx", REPO / "deploy" / "nginx.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = module.render(directory, f"127.0.0.1:{listen_port}", upstream_ports)
    return Child(f"nginx-{listen_port}", module.command(config), dict(os.environ))


def redis_server(port: int) -> Child:
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    return Child(f"redis-{port}", args, dict(os.environ))


def start_redis(child: Child, port: int) -> None:
    child.start()

    def answers() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    wait_until(answers, 15, "redis-server")


def celery(kind: str, env: dict[str, str], *extra: str) -> Child:
    args = [str(REPO / ".venv" / "bin" / "celery"), "-A", "config", kind, "-l", "info", *extra]
    return Child(f"celery-{kind}", args, env)
