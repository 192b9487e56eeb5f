"""``manage.py vk_longpoll``: VK Bots Long Poll for a shop that can't take Callback API calls.

Events are stored and processed exactly like callbacks (same ``event_id`` key, same task).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from vk_api.bot_longpoll import VkBotLongPoll
from vk_api.exceptions import VkApiError

from chat.models import Connector
from connectors.inbox import store_update
from connectors.vk import client
from connectors.vk.views import _event_key

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Receive VK community events by Bots Long Poll."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wait", type=int, default=25, help="seconds VK holds each poll")
        parser.add_argument("--max-iterations", type=int, default=0, help="stop after N polls (0: never)")
        parser.add_argument("--once", action="store_true", help="poll once and stop")

    def handle(self, *args: Any, wait: int, max_iterations: int, once: bool, **options: Any) -> None:
        if not client.is_configured() or not settings.VK_GROUP_ID:
            raise CommandError("VK_GROUP_TOKEN and VK_GROUP_ID must be set: the VK connector is off.")
        limit = 1 if once else max_iterations
        try:
            longpoll = VkBotLongPoll(client.make_api(), int(settings.VK_GROUP_ID), wait=wait)
        except VkApiError as exc:
            raise CommandError(f"VK refused groups.getLongPollServer: {exc}") from exc
        stored = 0
        iteration = 0
        while not limit or iteration < limit:
            iteration += 1
            try:
                events = longpoll.check()
            except (VkApiError, requests.RequestException, ValueError) as exc:
                logger.warning("VK long poll failed: %s; polling again in 5 s", exc)
                time.sleep(5)
                continue
            for event in events:
                raw = event.raw
                kind = str(raw.get("type") or "unknown")
                stored += int(store_update(connector=Connector.VK, update_id=_event_key(raw), kind=kind, payload=raw))
        self.stdout.write(f"Stored {stored} new events.")
