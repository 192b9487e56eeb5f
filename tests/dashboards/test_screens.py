"""The dashboard screens as managers and operators meet them: who sees what, CSV files, query counts."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from chat.actions.setup import do_create_operator

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

DAY_QUERY = {"start": "2026-03-10", "end": "2026-03-10"}


@pytest.fixture
def manager_client(queues) -> Client:
    do_create_operator(username="max", password="pw-123456", display_name="Max", is_manager=True)
    client = Client()
    assert client.login(username="max", password="pw-123456")
    return client


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password="pw-123456")
    return client


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_manager_sees_every_screen(built_day, manager_client):
    built_day()
    assert manager_client.get("/workspace/dashboards/live/").status_code == 200
    assert manager_client.get("/workspace/dashboards/targets/").status_code == 200
    page = manager_client.get("/workspace/dashboards/history/", DAY_QUERY)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Anna" in html and "Boris" in html
    assert "vendor/chartjs/chart-4.6.1.umd.min.js" in html


def test_operator_sees_only_their_own_figures(built_day):
    day = built_day()
    boris = login("boris")
    for url in ("/workspace/dashboards/live/", "/workspace/dashboards/live.json", "/workspace/dashboards/targets/"):
        assert boris.get(url).status_code == 403, url
    # Asking for someone else's figures is refused outright.
    other = boris.get("/workspace/dashboards/history/", {**DAY_QUERY, "operator": day.anna.pk})
    assert other.status_code == 403
    export = boris.get("/workspace/dashboards/export/operators.csv", {**DAY_QUERY, "operator": day.anna.pk})
    assert export.status_code == 403
    # Their own: Boris finished no chat that day, and only his row is in the operator table.
    mine = boris.get("/workspace/dashboards/history.json", DAY_QUERY).json()["tables"]
    assert dict(mine["summary"]["rows"])["Chats offered"] == 0
    assert [row[0] for row in mine["operators"]["rows"]] == ["Boris"]
    page = boris.get("/workspace/dashboards/history/", DAY_QUERY).content.decode()
    assert "Anna" not in page


def test_anonymous_is_sent_to_login(queues):
    response = Client().get("/workspace/dashboards/history/")
    assert response.status_code == 302 and "/workspace/login/" in response["Location"]


def test_bad_filters_are_explained(manager_client):
    response = manager_client.get("/workspace/dashboards/history/", {"start": "10.03.2026"})
    assert response.status_code == 400
    assert "Start must be a date like 2026-01-31" in response.content.decode()
    assert manager_client.get("/workspace/dashboards/history/", {"connector": "fax"}).status_code == 400
    assert (
        manager_client.get("/workspace/dashboards/history/", {"start": "2026-03-10", "end": "2026-03-01"}).status_code
        == 400
    )


def test_csv_exports_hold_the_figures(built_day, manager_client):
    built_day()
    summary = rows_of(manager_client.get("/workspace/dashboards/export/summary.csv", DAY_QUERY))
    assert summary[0] == ["metric", "value"]
    values = dict(summary[1:])
    assert values["Chats offered"] == "9"
    assert values["Abandonment rate, %"] == "22.22"
    assert values["Queue wait p90, s"] == "152.0"
    assert values["CSAT, %"] == "50.0"
    by_day = manager_client.get("/workspace/dashboards/export/by_day.csv", DAY_QUERY)
    assert by_day["Content-Type"].startswith("text/csv")
    assert 'filename="by_day-2026-03-10-2026-03-10.csv"' in by_day["Content-Disposition"]
    assert rows_of(by_day) == [["day", "chats", "abandoned"], ["2026-03-10", "9", "2"]]
    operators = rows_of(manager_client.get("/workspace/dashboards/export/operators.csv", DAY_QUERY))
    anna = next(row for row in operators if row[0] == "Anna")
    assert anna[:3] == ["Anna", "7", "600.0"]
    ratings = rows_of(manager_client.get("/workspace/dashboards/export/ratings.csv", DAY_QUERY))
    assert ratings[1:] == [["1", "1"], ["2", "0"], ["3", "1"], ["4", "1"], ["5", "1"]]
    assert manager_client.get("/workspace/dashboards/export/nothing.csv", DAY_QUERY).status_code == 400


# Session, user and operator lookups, then a fixed set of aggregates (SQLite adds three percentile
# queries per summary and its BEGIN/COMMIT; PostgreSQL does them inside the summary query). Read raw
# or from the day rollups, a range costs a few queries shared by all tables (one look at which days
# are fresh, one stylist queue lookup, one volume query, one operator query); the limits are the
# worst of raw and rolled up on either database.
@pytest.mark.parametrize(
    ("url", "limit"),
    [
        ("/workspace/dashboards/history/", 20),
        ("/workspace/dashboards/history.json", 18),
        ("/workspace/dashboards/export/operators.csv", 12),
        # today's operator time (concurrency, occupancy) and the first-reply requeues came after 14
        ("/workspace/dashboards/live.json", 16),
    ],
)
def test_query_counts_do_not_grow_with_the_data(built_day, manager_client, django_assert_max_num_queries, url, limit):
    built_day()
    with django_assert_max_num_queries(limit):
        assert manager_client.get(url, DAY_QUERY).status_code == 200
