"""``manage.py create_shop_api_key <name>``: a key for the shop API, printed once (only its hash is kept)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chat.errors import ChatError
from orders.actions import do_create_shop_api_key


class Command(BaseCommand):
    help = "Create a shop API key and print it once: send it as 'Authorization: Bearer <key>' to /api/shop/v1/."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Whose key this is, e.g. the shop's name")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            row, key = do_create_shop_api_key(name=options["name"])
        except ChatError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(f"Shop API key {row.prefix} for {row.name}; it is shown only now:")
        self.stdout.write(key)
