"""Shared browser-test infrastructure: a live daphne in a subprocess, and headless Chromium.

The server is a real ``daphne config.asgi:application`` in a child process, on a free port of
127.0.0.1, against *this run's test PostgreSQL database* and the *same Redis channel-layer prefix*,
so data committed by a test is visible to the server and events published by chat actions called
in the test (``do_operator_reply`` ...) reach the pages in the browser.

Fixtures
--------
``live_daphne`` (module scope) -> :class:`LiveDaphne`
    ``.url`` (``http://127.0.0.1:<port>``), ``.ws_url``, ``.restart()`` (a real server outage: the
    process is stopped, every socket drops, and it starts again on the same port), ``.log()`` (the
    server's output, for failure messages). Needs ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``;
    without them the browser tests skip with that reason. Tests using it must commit their data:
    request ``transactional_db`` (or mark ``django_db(transaction=True)``).
``chromium`` (session scope) -> ``playwright.sync_api.Browser``
    Debian's /usr/bin/chromium, headless, with the flags the house requires.
``new_context`` (function scope) -> ``new_context(**kwargs) -> BrowserContext``
    A fresh, isolated browser profile (own cookies, localStorage) with ``base_url`` set to the live
    server; keyword arguments go to ``Browser.new_context`` (e.g. ``**PHONE``, ``locale="ru-RU"``).
    Several contexts in one test are several people (a shopper and an operator). All are closed
    after the test.
``new_page`` (function scope) -> ``new_page(**context_kwargs) -> Page``
    Shorthand: a page in a fresh context.

Helpers
-------
``save_screenshot(page, name)`` writes ``<SCREENSHOT_DIR>/<name>.png``: ``var/screenshots/`` (ignored) during
``make test``, so a test run never modifies tracked files; ``make screenshots`` points it at ``docs/screenshots/``.
``PHONE`` is a 375 px wide touch viewport for ``new_context(**PHONE)``.
``wait_for(condition, timeout=10)`` polls a Python condition (e.g. a database query) until it holds.
``in_thread(func, *args, **kwargs)`` calls a chat action (or anything that publishes events) in a
    worker thread and returns its result. Once Playwright's sync API is running, this thread has an
    event loop, and the ``async_to_sync`` inside ``chat.events`` refuses to run in it. Plain ORM
    reads need no helper. Fixtures that call actions before the browser starts (``queues``,
    ``make_operator``) are fine either way.

Example::

    pytestmark = [pytest.mark.browser]

    def test_something(transactional_db, live_daphne, new_page):
        page = new_page()
        page.goto("/")
        ...
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, connections

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR") or REPO / "var" / "screenshots")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE: dict[str, Any] = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True}
SERVER_START_TIMEOUT = 30.0


def wait_for(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll until ``condition()`` is truthy and return it; fail with the last value otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            assert value, f"condition not met within {timeout} s (last value {value!r})"
            return value
        time.sleep(interval)


def in_thread(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``func`` in a fresh thread (own database connection, closed after) and return its result."""

    def run() -> Any:
        try:
            return func(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=30)


def save_screenshot(page: Any, name: str, **kwargs: Any) -> Path:
    """Save ``<SCREENSHOT_DIR>/<name>.png`` and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), **kwargs)
    return path


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{db['NAME']}"


@dataclass
class LiveDaphne:
    """A daphne child process serving the project on a port bound by this process."""

    env: dict[str, str]
    listener: socket.socket = field(init=False)
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    log_file: Any = field(default=None, init=False)

    def __post_init__(self) -> None:
        # The port is bound here once and handed to every daphne we start: no race for a free port,
        # and a restart comes back on the same address the browser already knows.
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.log_file = tempfile.NamedTemporaryFile(prefix="daphne-", suffix=".log", delete=False)  # noqa: SIM115

    @property
    def port(self) -> int:
        return self.listener.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> None:
        fd = self.listener.fileno()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "--fd", str(fd), "config.asgi:application"],
            cwd=REPO,
            env=self.env,
            pass_fds=[fd],
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"daphne did not answer within {SERVER_START_TIMEOUT} s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self, down_seconds: float = 0.0) -> None:
        """A real outage: every connection drops; the server is back after ``down_seconds``."""
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def log(self) -> str:
        return Path(self.log_file.name).read_text(errors="replace")[-5000:]

    def close(self) -> None:
        self.stop()
        self.listener.close()
        self.log_file.close()
        Path(self.log_file.name).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def live_daphne(django_db_setup: None) -> Iterator[LiveDaphne]:
    if not settings.USING_POSTGRES or not settings.REDIS_URL:
        pytest.skip("browser tests run against PostgreSQL and Redis: set DATABASE_URL and REDIS_URL")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CHANNEL_LAYER_PREFIX": settings.CHANNEL_LAYER_PREFIX,
        "CHANNEL_LAYER_KIND": settings.CHANNEL_LAYER_KIND,
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "WIDGET_CUSTOMER_SECRET": settings.WIDGET_CUSTOMER_SECRET,
        # Every request and consumer call closes its connection: the test's flush never waits on it.
        "CONN_MAX_AGE": "0",
        "SERVE_FILES": "1",
        "DEBUG": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    server = LiveDaphne(env=env)
    try:
        server.start()
        yield server
    finally:
        server.close()


# One Chromium per pytest process: other test folders import these fixtures, which makes pytest
# create a second session fixture, and Playwright's sync API refuses to start twice in one thread.
_running_browser: dict[str, Any] = {}


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if "browser" in _running_browser:
        yield _running_browser["browser"]
        return
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
    _running_browser["browser"] = browser
    try:
        yield browser
    finally:
        _running_browser.clear()
        browser.close()
        playwright.stop()


@pytest.fixture(autouse=True)
def _server_settles_before_flush(request: pytest.FixtureRequest) -> Iterator[None]:
    """Let the live server finish its queries before the test database is flushed.

    Closing browser contexts disconnects their sockets, and the server writes presence changes while
    pytest-django truncates the tables: PostgreSQL would pick one of the two as a deadlock victim.
    """
    if "transactional_db" not in request.fixturenames and "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + 5
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
            )
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.1)


@pytest.fixture
def new_context(chromium: Any, live_daphne: LiveDaphne) -> Iterator[Callable[..., Any]]:
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    contexts: list[Any] = []

    def make(**kwargs: Any) -> Any:
        kwargs.setdefault("base_url", live_daphne.url)
        context = chromium.new_context(**kwargs)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    if contexts:
        _until_the_server_let_go()


def _until_the_server_let_go(seconds: float = 10.0) -> None:
    """Closed pages end their sockets; the server's disconnects (which lock operator and connection
    rows) must be done before the test's flush truncates those tables, or PostgreSQL sees a deadlock."""
    from chat.models import OperatorConnection

    deadline = time.monotonic() + seconds
    while OperatorConnection.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture
def new_page(new_context: Callable[..., Any]) -> Callable[..., Any]:
    def make(**context_kwargs: Any) -> Any:
        return new_context(**context_kwargs).new_page()

    return make
