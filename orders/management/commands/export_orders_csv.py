"""``manage.py export_orders_csv [file]``: every order in the import's CSV layout (standard output by default)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from orders.csv_io import write_orders_csv
from orders.models import Order


class Command(BaseCommand):
    help = "Export every order as CSV, one row per item (the layout import_orders_csv reads)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", default="-", help="Where to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        orders = (
            Order.objects.select_related("shop_customer")
            .prefetch_related("items")
            .order_by("id")
            .iterator(chunk_size=500)
        )
        if options["path"] == "-":
            count = write_orders_csv(self.stdout, orders)  # type: ignore[arg-type]
        else:
            with open(options["path"], "w", encoding="utf-8", newline="") as stream:
                count = write_orders_csv(stream, orders)
        self.stderr.write(f"Exported {count} rows.")
