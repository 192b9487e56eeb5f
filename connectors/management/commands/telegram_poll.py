"""``manage.py telegram_poll``: getUpdates long polling for a shop with no public URL.

Each update is stored and processed exactly like a webhook call (same unique key, same task).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import sync_to_async
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from telegram import Bot
from telegram.error import Conflict, NetworkError, TelegramError

from chat.models import Connector
from connectors.inbox import store_update
from connectors.management.commands.telegram_webhook import ALLOWED_UPDATES
from connectors.telegram import client
from connectors.telegram.inbound import update_kind

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Receive Telegram updates by long polling (delete the webhook first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--timeout", type=int, default=25, help="seconds Telegram holds each poll")
        parser.add_argument("--max-iterations", type=int, default=0, help="stop after N polls (0: never)")
        parser.add_argument("--once", action="store_true", help="poll once and stop")

    def handle(self, *args: Any, timeout: int, max_iterations: int, once: bool, **options: Any) -> None:
        if not client.is_configured():
            raise CommandError("TELEGRAM_BOT_TOKEN is not set: the Telegram connector is off.")
        limit = 1 if once else max_iterations
        try:
            stored = client.run(lambda bot: self.poll(bot, poll_seconds=timeout, limit=limit))
        except Conflict as exc:
            raise CommandError(f"{exc.message}. Run `manage.py telegram_webhook delete` first.") from exc
        self.stdout.write(f"Stored {stored} new updates.")

    async def poll(self, bot: Bot, *, poll_seconds: int, limit: int) -> int:
        try:
            return await self._poll(bot, poll_seconds=poll_seconds, limit=limit)
        finally:
            # The ORM ran on sync_to_async's worker thread: close its connection there.
            await sync_to_async(connections.close_all)()

    async def _poll(self, bot: Bot, *, poll_seconds: int, limit: int) -> int:
        offset: int | None = None
        stored = 0
        iteration = 0
        while not limit or iteration < limit:
            iteration += 1
            try:
                updates = await bot.get_updates(offset=offset, timeout=poll_seconds, allowed_updates=ALLOWED_UPDATES)
            except Conflict:
                raise
            except (NetworkError, TelegramError) as exc:
                logger.warning("getUpdates failed: %s; polling again in 5 s", exc)
                await asyncio.sleep(5)
                continue
            for update in updates:
                payload = update.to_dict()
                created = await sync_to_async(store_update)(
                    connector=Connector.TELEGRAM,
                    update_id=str(update.update_id),
                    kind=update_kind(payload),
                    payload=payload,
                )
                stored += int(created)
                offset = update.update_id + 1
        return stored
