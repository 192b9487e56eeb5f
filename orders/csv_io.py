"""The CSV form of the shop API's data: one row per order item, for imports and exports.

Columns (docs/orders.md): the order's on its first row (later rows of the same order may leave them
empty, or must repeat them exactly), the customer's (``customer_*``; a row that gives any of them
creates or updates that customer), and one item per row (``item_*``). An order's rows are
consecutive. Each row is checked with the API's own schema (``orders.schemas``), so the import
refuses what the API refuses, with the line and column of every problem, before writing anything.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext as _
from pydantic import ValidationError

from orders.actions import InvalidBatch
from orders.models import Order, OrderItem
from orders.schemas import BatchIn, CustomerIn, FieldError, OrderIn, field_errors

ORDER_COLUMNS = {
    "order_number": "number",
    "status": "status",
    "status_changed_at": "status_changed_at",
    "customer_id": "customer_id",
    "email": "email",
    "phone": "phone",
    "currency": "currency",
    "total": "total",
    "placed_at": "placed_at",
    "paid_at": "paid_at",
    "shipped_at": "shipped_at",
    "delivered_at": "delivered_at",
    "promised_delivery_at": "promised_delivery_at",
    "carrier": "carrier",
    "tracking_number": "tracking_number",
    "tracking_url": "tracking_url",
    "delivery_address": "delivery_address",
}
CUSTOMER_COLUMNS = {"customer_name": "name", "customer_email": "email", "customer_phone": "phone"}
ITEM_COLUMNS = {"item_name": "name", "item_quantity": "quantity", "item_price": "price", "item_image_url": "image_url"}
COLUMNS = [*ORDER_COLUMNS, *CUSTOMER_COLUMNS, *ITEM_COLUMNS]
REQUIRED_COLUMNS = ("order_number", "status")
# A file holds at most this many orders; it is imported whole or not at all.
MAX_CSV_ORDERS = 50_000


@dataclass
class _Order:
    line: int
    values: dict[str, Any]
    item_lines: list[int] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ParsedFile:
    batch: BatchIn
    rows: int


def _whole_number(value: str) -> int | str:
    """Digits become a number; anything else stays text, so the schema says it is not a whole number."""
    return int(value) if re.fullmatch(r"[0-9]{1,9}", value) else value


def _where(line: int, column: str) -> str:
    return _("line %(line)d, %(column)s") % {"line": line, "column": column}


def read_orders_csv(stream: IO[str], *, progress: Any = None) -> ParsedFile:
    """Parse and check a whole file; :class:`InvalidBatch` lists every problem by line and column."""
    reader = csv.DictReader(stream)
    header = reader.fieldnames or []
    errors: list[FieldError] = []
    for column in header:
        if column not in COLUMNS:
            errors.append(
                FieldError(
                    _where(1, column),
                    _("Unknown column; the columns are: %(columns)s.") % {"columns": ", ".join(COLUMNS)},
                )
            )
    for column in REQUIRED_COLUMNS:
        if column not in header:
            errors.append(FieldError(_where(1, column), _("This column is required.")))
    if errors:
        raise InvalidBatch(errors)
    orders: list[_Order] = []
    customers: dict[str, tuple[int, dict[str, Any]]] = {}
    first_line: dict[str, int] = {}
    rows = 0
    for line, row in enumerate(reader, start=2):
        rows += 1
        if None in row:
            errors.append(FieldError(_where(line, "-"), _("More cells than columns.")))
            continue
        cells = {k: (v or "").strip() if k != "delivery_address" else (v or "") for k, v in row.items()}
        number = cells.get("order_number", "")
        values = {ORDER_COLUMNS[c]: v for c, v in cells.items() if c in ORDER_COLUMNS and v != ""}
        current = orders[-1] if orders and orders[-1].values.get("number") == number and number else None
        if current is None:
            if number and number in first_line:
                errors.append(
                    FieldError(
                        _where(line, "order_number"),
                        _("Order %(number)s is already in this file (line %(first)d); keep an order's rows together.")
                        % {"number": number, "first": first_line[number]},
                    )
                )
                continue
            if number:
                first_line[number] = line
            current = _Order(line=line, values=values)
            orders.append(current)
            if len(orders) > MAX_CSV_ORDERS:
                raise InvalidBatch(
                    [
                        FieldError(
                            _where(line, "order_number"),
                            _("At most %(count)d orders in one file; split it.") % {"count": MAX_CSV_ORDERS},
                        )
                    ]
                )
        else:
            for name, value in values.items():
                if current.values.get(name) != value:
                    column = next(c for c, n in ORDER_COLUMNS.items() if n == name)
                    errors.append(
                        FieldError(
                            _where(line, column),
                            _("Differs from the order's first row (line %(first)d).") % {"first": current.line},
                        )
                    )
        customer = {CUSTOMER_COLUMNS[c]: v for c, v in cells.items() if c in CUSTOMER_COLUMNS and v != ""}
        if customer:
            if not cells.get("customer_id"):
                errors.append(FieldError(_where(line, "customer_id"), _("Customer details need the customer's id.")))
            elif cells["customer_id"] not in customers:
                customers[cells["customer_id"]] = (line, {"id": cells["customer_id"], **customer})
        item = {ITEM_COLUMNS[c]: v for c, v in cells.items() if c in ITEM_COLUMNS and v != ""}
        if item:
            if "quantity" in item:
                item["quantity"] = _whole_number(item["quantity"])
            current.items.append(item)
            current.item_lines.append(line)
        if progress is not None:
            progress(1)
    checked_customers = []
    for line, data in customers.values():
        try:
            checked_customers.append(CustomerIn.model_validate(data))
        except ValidationError as exc:
            errors += _located(exc, line, {**{v: k for k, v in CUSTOMER_COLUMNS.items()}, "id": "customer_id"}, [])
    checked_orders = []
    for order in orders:
        data = {**order.values, **({"items": order.items} if order.items else {})}
        try:
            checked_orders.append(OrderIn.model_validate(data))
        except ValidationError as exc:
            errors += _located(exc, order.line, {v: k for k, v in ORDER_COLUMNS.items()}, order.item_lines)
    if errors:
        raise InvalidBatch(errors)
    batch = BatchIn.model_construct(customers=checked_customers, orders=checked_orders)
    try:
        from orders.actions import check_batch

        check_batch(batch)
    except InvalidBatch as exc:
        raise InvalidBatch([_csv_place(e, orders, customers) for e in exc.errors]) from exc
    return ParsedFile(batch=batch, rows=rows)


def _located(exc: ValidationError, line: int, columns: dict[str, str], item_lines: list[int]) -> list[FieldError]:
    """Schema errors of one order (or customer) at their line and column."""
    located = []
    for error, mine in zip(exc.errors(), field_errors(exc.errors()), strict=True):
        loc = tuple(error.get("loc", ()))
        if loc[:1] == ("items",) and len(loc) >= 3 and isinstance(loc[1], int):
            where = _where(item_lines[loc[1]], next(c for c, n in ITEM_COLUMNS.items() if n == loc[2]))
        elif loc[:1] == ("items",):
            where = _where(line, "item_name")
        else:
            where = _where(line, columns.get(str(loc[0]) if loc else "", str(loc[0]) if loc else "-"))
        located.append(FieldError(where, mine.message))
    return located


def _csv_place(error: FieldError, orders: list[_Order], customers: dict[str, tuple[int, dict[str, Any]]]) -> FieldError:
    """A batch-level error (``orders[3].customer_id``) at its line and column instead."""
    match = re.fullmatch(r"orders\[(\d+)\]\.(\w+)", error.field)
    if match:
        column = {"number": "order_number"}.get(match.group(2), match.group(2))
        return FieldError(_where(orders[int(match.group(1))].line, column), error.message)
    return error


def export_rows(orders: Iterable[Order]) -> Iterator[dict[str, str]]:
    """Every order as the rows the import reads back: one per item (one row for an order without items)."""
    for order in orders:
        customer = order.shop_customer
        base = {
            "order_number": order.number,
            "status": order.status,
            "status_changed_at": order.status_changed_at.isoformat(),
            "customer_id": order.customer_id,
            "customer_name": customer.name if customer else "",
            "customer_email": customer.email if customer else "",
            "customer_phone": customer.phone if customer else "",
            "email": order.email,
            "phone": order.phone,
            "currency": order.currency,
            "total": "" if order.total is None else f"{order.total:.2f}",
            "placed_at": order.placed_at.isoformat() if order.placed_at else "",
            "paid_at": order.paid_at.isoformat() if order.paid_at else "",
            "shipped_at": order.shipped_at.isoformat() if order.shipped_at else "",
            "delivered_at": order.delivered_at.isoformat() if order.delivered_at else "",
            "promised_delivery_at": order.promised_delivery_at.isoformat() if order.promised_delivery_at else "",
            "carrier": order.carrier,
            "tracking_number": order.tracking_number,
            "tracking_url": order.tracking_url,
            "delivery_address": order.delivery_address,
        }
        items: list[OrderItem | None] = [*order.items.all()] or [None]
        for item in items:
            yield {
                **base,
                "item_name": item.name if item else "",
                "item_quantity": str(item.quantity) if item else "",
                "item_price": "" if item is None or item.price is None else f"{item.price:.2f}",
                "item_image_url": item.image_url if item else "",
            }


def write_orders_csv(stream: IO[str], orders: Iterable[Order]) -> int:
    writer = csv.DictWriter(stream, fieldnames=COLUMNS)
    writer.writeheader()
    count = 0
    for row in export_rows(orders):
        writer.writerow(row)
        count += 1
    return count
