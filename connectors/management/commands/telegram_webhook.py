"""``manage.py telegram_webhook set <url> | delete | info``: point Telegram at our webhook."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from telegram import Bot
from telegram.error import TelegramError

from connectors.telegram import client

ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


class Command(BaseCommand):
    help = "Set, delete or show the Telegram webhook of TELEGRAM_BOT_TOKEN's bot."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["set", "delete", "info"])
        parser.add_argument("url", nargs="?", help="for set: https://<host>/connectors/telegram/webhook/")
        parser.add_argument("--drop-pending", action="store_true", help="discard updates Telegram still holds")

    def handle(self, *args: Any, action: str, url: str | None, drop_pending: bool, **options: Any) -> None:
        if not client.is_configured():
            raise CommandError("TELEGRAM_BOT_TOKEN is not set: the Telegram connector is off.")
        if action == "set":
            if not url or not url.startswith("https://"):
                raise CommandError("Give the public https:// URL of /connectors/telegram/webhook/.")
            if not settings.TELEGRAM_WEBHOOK_SECRET:
                raise CommandError("Set TELEGRAM_WEBHOOK_SECRET first: the webhook refuses calls without it.")

        async def work(bot: Bot) -> str:
            if action == "set":
                await bot.set_webhook(
                    url=url or "",
                    secret_token=settings.TELEGRAM_WEBHOOK_SECRET,
                    allowed_updates=ALLOWED_UPDATES,
                    drop_pending_updates=drop_pending,
                )
                return f"Webhook set to {url}"
            if action == "delete":
                await bot.delete_webhook(drop_pending_updates=drop_pending)
                return "Webhook deleted; use `manage.py telegram_poll` to receive updates."
            info = await bot.get_webhook_info()
            return json.dumps(info.to_dict(), ensure_ascii=False, indent=2, default=str)

        try:
            self.stdout.write(client.run(work))
        except TelegramError as exc:
            raise CommandError(f"Telegram refused: {exc}") from exc
