"""The CSV import and export: every bad input refused whole with its line and column, a dry run, a round trip."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from orders import csv_io
from orders.models import Order, OrderItem, OrderStatusChange, ShopCustomer

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

HEADER = (
    "order_number,status,customer_id,customer_name,customer_email,currency,total,placed_at,"
    "item_name,item_quantity,item_price"
)
GOOD = [
    "A-1,paid,C-1,Olga,olga@example.com,EUR,59.80,2026-11-20T10:00:00+00:00,Scarf,2,29.90",
    "A-1,,,,,,,,Hat,1,0.00",
    "A-2,shipped,C-1,,,EUR,10.00,2026-11-21T10:00:00+00:00,Socks,1,10.00",
]


def csv_file(tmp_path: Path, lines: list[str], header: str = HEADER) -> str:
    path = tmp_path / "orders.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return str(path)


def run_import(path: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_orders_csv", path, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def rows() -> tuple[int, int, int, int]:
    return (
        ShopCustomer.objects.count(),
        Order.objects.count(),
        OrderItem.objects.count(),
        OrderStatusChange.objects.count(),
    )


def test_a_good_file_imports_and_again_changes_nothing(tmp_path: Path) -> None:
    out, _ = run_import(csv_file(tmp_path, GOOD))
    assert "orders 2 new" in out
    assert rows() == (1, 2, 3, 2)
    assert [(i.name, i.quantity) for i in Order.objects.get(number="A-1").items.all()] == [("Scarf", 2), ("Hat", 1)]
    out, _ = run_import(csv_file(tmp_path, GOOD))
    assert "0 new, 0 updated, 2 unchanged" in out
    assert rows() == (1, 2, 3, 2)


def test_a_dry_run_reports_and_writes_nothing(tmp_path: Path) -> None:
    out, _ = run_import(csv_file(tmp_path, GOOD), "--dry-run")
    assert "Would import 3 rows" in out and "orders 2 new" in out and "nothing was written" in out
    assert rows() == (0, 0, 0, 0)


BAD_FILES: list[tuple[str, str, list[str], str, str]] = [
    # (case, header, rows, where, words)
    ("unknown column", HEADER + ",colour", [GOOD[0] + ",red"], "line 1, colour", "Unknown column"),
    ("missing status column", "order_number,item_name", ["A-1,Scarf"], "line 1, status", "required"),
    (
        "quantity not a number",
        HEADER,
        [GOOD[0].replace(",2,29.90", ",two,29.90")],
        "line 2, item_quantity",
        "whole number",
    ),
    ("total not an amount", HEADER, [GOOD[0].replace("59.80", "lots")], "line 2, total", "amount"),
    (
        "time not a time",
        HEADER,
        [GOOD[0].replace("2026-11-20T10:00:00+00:00", "yesterday")],
        "line 2, placed_at",
        "ISO",
    ),
    ("unknown status", HEADER, [GOOD[0].replace(",paid,", ",lost,")], "line 2, status", "Unknown status"),
    ("bad email", HEADER, [GOOD[0].replace("olga@example.com", "olga-at-home")], "line 2, customer_email", "email"),
    ("unknown customer", HEADER, ["A-9,paid,C-404,,,EUR,1.00,,,,"], "line 2, customer_id", "Unknown customer C-404"),
    (
        "duplicate order number",
        HEADER,
        [GOOD[0], GOOD[2], GOOD[0].replace("Scarf", "Gloves")],
        "line 4, order_number",
        "already in this file",
    ),
    ("rows of one order disagree", HEADER, [GOOD[0], "A-1,shipped,,,,,,,Hat,1,0.00"], "line 3, status", "Differs"),
    ("more cells than columns", HEADER, [GOOD[0] + ",extra"], "line 2, -", "More cells"),
]


@pytest.mark.parametrize(("case", "header", "lines", "where", "words"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_input_is_refused_whole_with_line_and_column(
    tmp_path: Path, case: str, header: str, lines: list[str], where: str, words: str
) -> None:
    # A good order after the bad rows: nothing of the file may be stored.
    good = [GOOD[2].replace("A-2", "GOOD-1")] if header == HEADER else []
    path = csv_file(tmp_path, [*lines, *good], header=header)
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_orders_csv", path, stdout=io.StringIO(), stderr=err)
    problems = err.getvalue().splitlines()
    assert any(p.startswith(f"{where}:") and words in p for p in problems), problems
    assert rows() == (0, 0, 0, 0)


def test_a_file_over_the_documented_size_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_io, "MAX_CSV_ORDERS", 2)
    lines = [f"N-{n},paid,,,,EUR,1.00,,,," for n in range(3)]
    with pytest.raises(CommandError):
        call_command("import_orders_csv", csv_file(tmp_path, lines), stdout=io.StringIO(), stderr=io.StringIO())
    assert rows() == (0, 0, 0, 0)


def test_the_carriers_promise_imports_exports_and_a_bad_one_is_named(tmp_path: Path) -> None:
    header = "order_number,status,shipped_at,promised_delivery_at"
    run_import(csv_file(tmp_path, ["P-1,shipped,2026-12-01T08:00:00+00:00,2026-12-04T18:00:00+00:00"], header))
    promised = Order.objects.get(number="P-1").promised_delivery_at
    assert promised is not None and promised.isoformat() == "2026-12-04T18:00:00+00:00"
    exported = tmp_path / "export.csv"
    call_command("export_orders_csv", str(exported), stderr=io.StringIO())
    assert "2026-12-04T18:00:00+00:00" in exported.read_text(encoding="utf-8")
    err = io.StringIO()
    path = csv_file(tmp_path, ["P-2,shipped,,next friday"], header)
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_orders_csv", path, stdout=io.StringIO(), stderr=err)
    assert any(p.startswith("line 2, promised_delivery_at:") and "ISO 8601" in p for p in err.getvalue().splitlines())
    assert not Order.objects.filter(number="P-2").exists()


def test_the_export_reads_back_as_the_same_orders(tmp_path: Path) -> None:
    run_import(csv_file(tmp_path, GOOD))
    exported = tmp_path / "export.csv"
    call_command("export_orders_csv", str(exported), stderr=io.StringIO())
    text = exported.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(csv_io.COLUMNS)
    assert len(text.splitlines()) == 4  # header + 3 items
    before = list(Order.objects.order_by("number").values_list("number", "status", "total", "customer_id"))
    Order.objects.all().delete()
    ShopCustomer.objects.all().delete()
    out, _ = run_import(str(exported))
    assert "orders 2 new" in out
    assert list(Order.objects.order_by("number").values_list("number", "status", "total", "customer_id")) == before
