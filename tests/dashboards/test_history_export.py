"""The raw export recomputes the dashboard: the hand-built day's chats and mean first response, from
the conversations file (CSV and JSON lines alike), match what the dashboard shows."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from statistics import mean
from typing import Any

import pytest
from django.test import Client

from chat.actions.setup import do_create_operator
from chat.metrics import MetricFilters, summary
from chat.models import Message
from tests.dashboards.conftest import DAY, Day

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

RANGE = {"from": "2026-03-10", "to": "2026-03-10"}


def manager_client() -> Client:
    maria = do_create_operator(username="maria", password="pw-123456", display_name="Maria", is_manager=True)
    client = Client()
    client.force_login(maria.user)
    return client


def download(client: Client, path: str, **params: str) -> tuple[Any, str]:
    response = client.get(path, {**RANGE, **params})
    assert response.status_code == 200, response.content
    assert response.streaming  # written as the rows are read, never held whole
    return response, b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]


def parse(moment: str | None) -> datetime | None:
    return datetime.fromisoformat(moment) if moment else None


def recompute(rows: list[dict[str, Any]]) -> tuple[int, float | None]:
    """The day's chats and the mean first response, worked out as docs/history.md says."""
    responses = []
    for row in rows:
        answered, clock = parse(row["first_response_at"]), parse(row["response_clock_at"])
        if answered and clock:
            responses.append((answered - clock).total_seconds())
    return len(rows), round(mean(responses), 3) if responses else None


def test_the_conversations_export_recomputes_the_dashboards_figures(built_day: Callable[[], Day]) -> None:
    day = built_day()
    client = manager_client()
    dashboard = summary(MetricFilters(start=DAY, end=DAY + timedelta(days=1)))

    response, text = download(client, "/workspace/history/export/conversations.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="conversations-2026-03-10-2026-03-10.csv"'
    csv_rows = list(csv.DictReader(io.StringIO(text)))
    _, jsonl = download(client, "/workspace/history/export/conversations.jsonl")
    json_rows = [json.loads(line) for line in jsonl.splitlines()]

    for rows in (csv_rows, [{k: v if v is not None else "" for k, v in r.items()} for r in json_rows]):
        assert recompute(rows) == (dashboard.offered, dashboard.first_response.mean) == (9, 77.143)
    # One row per conversation, in the order they were opened, with every step and the rating.
    assert [int(r["id"]) for r in csv_rows] == [r["id"] for r in json_rows] == sorted(r["id"] for r in json_rows)
    c4 = next(r for r in json_rows if r["id"] == day.chats["C4"].pk)
    assert (c4["transfers"], c4["rating_stars"], c4["operator"], c4["reason"]) == (1, 4, "Anna", "order-where")
    assert [s["kind"] for s in c4["steps"]] == ["created", "queued", "assigned", "transferred", "closed"]
    assert c4["first_response_at"] == "2026-03-10T10:10:40.000000+00:00"  # to the microsecond, UTC
    c7 = next(r for r in csv_rows if r["id"] == str(day.chats["C7"].pk))
    assert (c7["closed_at"], c7["rating_stars"]) == ("2026-03-11T00:10:00.000000+00:00", "1")


def test_the_messages_export_has_every_message_of_the_range_exactly(built_day: Callable[[], Day]) -> None:
    day = built_day()
    client = manager_client()
    Message.objects.filter(conversation=day.chats["C1"], text="hello").update(
        text='=HYPERLINK("x") "quoted", line\nnext'
    )
    _, jsonl = download(client, "/workspace/history/export/messages.jsonl")
    rows = [json.loads(line) for line in jsonl.splitlines()]
    stored = Message.objects.filter(conversation__in=[c.pk for c in day.chats.values()]).order_by("conversation", "id")
    assert [r["id"] for r in rows] == [m.pk for m in stored]
    assert rows[0]["text"] == '=HYPERLINK("x") "quoted", line\nnext'  # exact in JSON lines
    _, text = download(client, "/workspace/history/export/messages.csv")
    first = next(csv.DictReader(io.StringIO(text)))
    assert first["text"] == '\'=HYPERLINK("x") "quoted", line\nnext'  # never a formula in a spreadsheet
    assert first["created_at"] == "2026-03-10T10:00:00.000000+00:00"
    # Narrowed like the list: only the messages of the chats Anna holds last.
    _, only_boris = download(client, "/workspace/history/export/messages.jsonl", operator=str(day.anna.pk))
    assert {json.loads(line)["conversation_id"] for line in only_boris.splitlines()} == {
        c.pk for c in day.chats.values() if c.operator_id == day.anna.pk
    }


def test_the_export_needs_a_manager_and_a_valid_date_range(built_day: Callable[[], Day]) -> None:
    day = built_day()
    client = manager_client()
    missing = client.get("/workspace/history/export/conversations.csv")
    assert missing.status_code == 400 and "start and the end date" in missing.content.decode()
    backwards = client.get("/workspace/history/export/conversations.csv", {"from": "2026-03-11", "to": "2026-03-10"})
    assert backwards.status_code == 400 and "to:" in backwards.content.decode()
    assert client.get("/workspace/history/export/orders.csv", RANGE).status_code == 404
    assert client.get("/workspace/history/export/conversations.xlsx", RANGE).status_code == 404
    operator = Client()
    operator.force_login(day.anna.user)
    assert operator.get("/workspace/history/export/conversations.csv", RANGE).status_code == 403
    assert operator.get("/workspace/history/export/").status_code == 403
    assert Client().get("/workspace/history/export/conversations.csv", RANGE).status_code == 302


def test_the_api_streams_the_same_export_to_managers_only(built_day: Callable[[], Day]) -> None:
    day = built_day()
    client = manager_client()
    _, page = download(client, "/workspace/history/export/conversations.jsonl")
    _, api = download(client, "/api/history/export/conversations", format="jsonl")
    assert api == page
    _, csv_text = download(client, "/api/history/export/messages", format="csv")
    assert csv_text.splitlines()[0].startswith("id,conversation_id,connector,author_kind")
    assert client.get("/api/history/export/conversations").status_code == 400  # no date range
    operator = Client()
    operator.force_login(day.anna.user)
    assert operator.get("/api/history/export/conversations", RANGE).status_code == 403
