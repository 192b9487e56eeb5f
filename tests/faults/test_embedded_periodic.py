"""The embedded default (``make run``: SQLite, no Redis, no beat) runs its periodic work by itself.

Issue 13 found the targets page saying "No breaches yet" while a shopper had waited 1,570 s against a
60 s target: nothing ever checked. Here a real daphne runs exactly as ``make run`` starts it (migrate,
load_demo, daphne) on a SQLite file with no broker, and the manager's page shows the breach.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults import processes
from tests.faults.people import Shopper, login

pytestmark = [pytest.mark.faults]


def embedded_env(tmp_path: Path) -> dict[str, str]:
    env = processes.server_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        SWITCHBOARD_LOCK_DIR=str(tmp_path / "locks"),
        SECRET_KEY="embedded-fault-test",
        # Checked every second instead of every 30 s, so the test need not wait half a minute.
        SWITCHBOARD_TARGET_CHECK_SECONDS="1",
    )
    for name in ("REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "CELERY_BROKER_URL", "SWITCHBOARD_PERIODIC_IN_PROCESS"):
        env.pop(name, None)
    return env


def test_a_queue_wait_breach_is_recorded_under_make_run_without_beat(tmp_path):
    env = embedded_env(tmp_path)
    for command in (["migrate", "--noinput", "-v", "0"], ["load_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=processes.REPO, env=env, check=True, timeout=120)
    port = processes.free_port()
    server = processes.daphne(port, env)
    base = f"http://127.0.0.1:{port}"
    try:
        processes.start_daphne(server, port)
        manager = login(base, "manager", "switchboard")
        page = manager.get("/workspace/dashboards/targets/")
        assert "No breaches yet." in page.text
        saved = manager.post(
            "/workspace/dashboards/targets/",
            data={"max_queue_wait-threshold": "2", "csrfmiddlewaretoken": manager.cookies["csrftoken"]},
            headers={"Referer": f"{base}/workspace/dashboards/targets/"},
        )
        assert saved.status_code == 302, saved.text[:500]

        async def shopper_waits() -> None:
            # Every operator of the demo starts offline: the chat waits in the queue.
            shopper = Shopper(base, "waiting")
            await shopper.session()
            stop = asyncio.Event()
            running = asyncio.create_task(shopper.run(stop))
            await shopper.connected()
            await shopper.write("Is anybody there?")
            for _ in range(100):
                if not shopper.outbox:
                    break
                await asyncio.sleep(0.1)
            stop.set()
            await asyncio.wait_for(running, 10)
            assert not shopper.outbox, "the shopper's message was never acknowledged"

        asyncio.run(shopper_waits())

        def breach_shown() -> str | None:
            text = manager.get("/workspace/dashboards/targets/").text
            return text if "No breaches yet." not in text else None

        text = processes.wait_until(breach_shown, 30, f"a breach on the targets page\n{server.log()}")
        assert "Longest queue wait now" in text
        assert "ongoing" in text
    finally:
        server.close()
