"""``manage.py import_orders_csv <file> [--dry-run]``: customers and orders from a CSV (docs/orders.md).

The whole file is checked first and stored in one transaction: a file with any problem stores
nothing, and every problem is listed with its line and column. ``--dry-run`` checks and reports what
would be created or updated, and writes nothing. A progress bar shows on a terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from orders.actions import BatchResult, InvalidBatch, do_upsert_batch
from orders.csv_io import read_orders_csv


class DryRunDone(Exception):
    """Raised inside the transaction to roll a dry run back."""


@contextmanager
def _progress(enabled: bool, description: str, total: int | None) -> Iterator[Callable[[int], object] | None]:
    if not enabled:
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


class Command(BaseCommand):
    help = "Import customers and orders from a CSV file (one row per item); --dry-run checks without writing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The CSV file (UTF-8), or - for standard input")
        parser.add_argument("--dry-run", action="store_true", help="Check and report, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        tty = sys.stdout.isatty()
        stream = sys.stdin if options["path"] == "-" else open(options["path"], encoding="utf-8-sig", newline="")  # noqa: SIM115
        try:
            with _progress(tty, "Checking", None) as advance:
                parsed = read_orders_csv(stream, progress=advance)
        except InvalidBatch as exc:
            for error in exc.errors:
                self.stderr.write(f"{error.field}: {error.message}")
            raise CommandError(f"Nothing was imported: {len(exc.errors)} problem(s).") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"Nothing was imported: the file is not UTF-8 ({exc}).") from exc
        finally:
            if stream is not sys.stdin:
                stream.close()
        with _progress(tty, "Importing", len(parsed.batch.orders)) as advance:
            result = self._store(parsed.batch, advance, dry_run=options["dry_run"])
        verb = "Would import" if options["dry_run"] else "Imported"
        self.stdout.write(
            f"{verb} {parsed.rows} rows: customers {result.customers_created} new, {result.customers_updated} updated; "
            f"orders {result.orders_created} new, {result.orders_updated} updated, {result.orders_unchanged} unchanged."
        )
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")

    def _store(self, batch: Any, advance: Callable[[int], object] | None, *, dry_run: bool) -> BatchResult:
        if not dry_run:
            return do_upsert_batch(batch, progress=advance)
        result = BatchResult()
        try:
            with transaction.atomic():
                result = do_upsert_batch(batch, progress=advance)
                raise DryRunDone
        except DryRunDone:
            pass
        return result
