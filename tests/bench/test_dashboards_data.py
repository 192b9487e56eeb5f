"""The dashboards' and search's year of data, tiny: the generator writes straight SQL into the chat
tables, so a column added later without a database default breaks it silently (it did, twice, for
the contacts' verified flags and the conversations' visitor context). This runs it and the timing
script end to end on a few hundred conversations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from bench import common

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(600)


def run(module: str, *args: str, database_url: str) -> str:
    env = {**os.environ, "DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, "-m", module, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=540
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_the_generated_year_fills_every_table_and_the_dashboards_read_it() -> None:
    database_url = common.ensure_postgres_database("sb_bench_generate_smoke")
    run("bench.dashboards.generate", "--conversations", "600", "--messages-per-chat", "3", database_url=database_url)
    with psycopg.connect(database_url) as conn:
        conversations = conn.execute("SELECT count(*) FROM chat_conversation").fetchone()
        messages = conn.execute("SELECT count(*) FROM chat_message").fetchone()
        ratings = conn.execute("SELECT count(*) FROM chat_rating").fetchone()
    assert conversations == (600,)
    assert messages is not None and messages[0] >= 600 * 3
    assert ratings is not None and ratings[0] > 0
    table = run("bench.dashboards.run", "--repeat", "1", database_url=database_url)
    assert "summary" in table and "p95" in table
