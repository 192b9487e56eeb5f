"""The benchmark, tiny: every scenario runs end to end and reports well-formed figures.

No thresholds here (speed is judged by ``make bench`` on a quiet machine); this only keeps the
benchmark from rotting as the message path changes under it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.search import QUERIES as SEARCH_QUERIES

REPO = Path(__file__).resolve().parents[2]
# Each scenario boots several daphne and Django processes; on a busy machine that takes minutes.
pytestmark = pytest.mark.timeout(900)


def run_bench(scenario: str, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / f"{scenario}.json"
    env = {**os.environ, "BENCH_DATABASE": "sb_bench_smoke"}
    process = subprocess.Popen(
        [sys.executable, "-m", "bench", scenario, "--smoke", "--no-docs", "--json", str(out)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        process.terminate()  # SIGTERM: the bench stops the servers it started
        stdout, stderr = process.communicate(timeout=60)
        pytest.fail(f"bench {scenario} --smoke took over 600 s:\n{stdout[-3000:]}{stderr[-3000:]}")
    assert process.returncode == 0, stdout[-3000:] + stderr[-3000:]
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def tmp_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench")


def test_relay_reports_every_deployment_for_floor_and_switchboard(tmp_dir: Path) -> None:
    data = run_bench("relay", tmp_dir)
    rows = data["relay"]["rows"]
    assert {(row["layer"], row["processes"]) for row in rows} == {("memory", 1), ("pubsub", 1), ("pubsub", 2)}
    for row in rows:
        for side in ("floor", "switchboard"):
            step = row[side]["steps"][0]
            assert step["sent"] > 0
            assert step["delivered_pct"] > 0, (row["deployment"], side)
            assert step["p50"] <= step["p99"]
        assert "knee_ratio" in row["switchboard_over_floor"]
    assert data["environment"]["versions"]["channels"]


def test_burst_fills_slots_queues_the_rest_and_keeps_caps(tmp_dir: Path) -> None:
    burst = run_bench("burst", tmp_dir)["burst"]
    assert burst["active_after_burst"] == burst["slots"]
    assert burst["queued_after_burst"] == burst["conversations"] - burst["slots"]
    assert burst["positions_checked"] > 0
    assert burst["positions_wrong"] == 0
    assert burst["cap_violations_after_burst"] == burst["cap_violations_after_closes"] == 0
    assert burst["next_assignments"] > 0
    assert burst["close_to_next"]["p50"] is not None


def test_connections_hold_and_chatting_shoppers_reach_operators(tmp_dir: Path) -> None:
    connections = run_bench("connections", tmp_dir)["connections"]
    assert connections["connected"] == connections["asked"]
    assert connections["rss_per_connection_kb"] > 0
    assert connections["chat"]["delivered_pct"] > 0


def test_webhook_updates_are_acknowledged_and_reach_operators(tmp_dir: Path) -> None:
    webhooks = run_bench("webhooks", tmp_dir)["webhooks"]
    for connector in ("telegram", "vk", "telegram_paced", "vk_paced"):
        assert webhooks[connector]["non_200"] == 0
        assert webhooks[connector]["acked_per_s"] > 0
        assert webhooks[connector]["reached_operator"] == webhooks[connector]["updates"]
    # The bare one-INSERT endpoint on the same daphne: what an acknowledgement costs at least.
    for name in ("floor", "floor_paced"):
        assert webhooks[name]["non_200"] == 0 and webhooks[name]["acked_per_s"] > 0
    for row in webhooks.values():
        if isinstance(row, dict):
            assert (row["lost"], row["doubled"]) == (0, 0)


def test_the_webhook_floor_is_not_mounted_unless_the_benchmark_asks() -> None:
    from asgiref.sync import async_to_sync
    from channels.testing import HttpCommunicator

    from config.asgi import application

    async def post() -> int:
        headers = [(b"host", b"127.0.0.1")]
        communicator = HttpCommunicator(application, "POST", "/bench/webhook-floor/", body=b"{}", headers=headers)
        answer = await communicator.get_response()
        return int(answer["status"])

    assert async_to_sync(post)() == 404  # Django's own answer: no such page


@pytest.mark.browser
def test_widget_weight_and_page_view_opens_no_socket(tmp_dir: Path) -> None:
    widget = run_bench("widget", tmp_dir)["widget"]
    assert widget["total_gzip_bytes"] > 0
    assert widget["interactive_median_ms"] > 0
    assert widget["websockets_on_page_view"] == 0


def test_kb_search_is_timed_over_its_corpus_and_finds_the_questions_articles(tmp_dir: Path) -> None:
    kb = run_bench("kb", tmp_dir)["kb"]
    assert kb["articles"] >= 24 + 28  # the demo's twelve in two languages and the generated ones
    assert kb["latency_ms"]["all"]["p95"] > 0
    assert kb["top3_hits"] == kb["searches"]


def test_search_reports_every_query_and_the_index_sizes(tmp_dir: Path) -> None:
    data = run_bench("search", tmp_dir)["search"]
    assert data["messages"] > 0
    assert [row["label"] for row in data["queries"]] == [label for label, _ in SEARCH_QUERIES]
    assert all(row["p50"] <= row["p95"] for row in data["queries"])
    assert sum(row["hits"] for row in data["queries"]) > 0
    assert set(data["sizes"]) >= {"search_message_vector_idx", "chat_message"}


def test_preshot_suggestions_are_timed_for_shoppers_with_twenty_orders(tmp_dir: Path) -> None:
    preshot = run_bench("preshot", tmp_dir)["preshot"]
    assert preshot["orders"] == preshot["shoppers"] * 20
    assert preshot["with_suggestions"] == preshot["calls"]  # every shopper has an order with questions
    assert preshot["latency_ms"]["p95"] > 0
