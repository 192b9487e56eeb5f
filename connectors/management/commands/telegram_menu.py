"""``manage.py telegram_menu``: the bot's menu button lists /start and /stylist, in English and Russian."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from telegram import Bot, BotCommand, MenuButtonCommands
from telegram.error import TelegramError

from chat.texts import shopper_text
from connectors.telegram import client

START = {"en": "Ask a question", "ru": "Задать вопрос"}


def commands(language: str) -> list[BotCommand]:
    return [
        BotCommand("start", START[language]),
        BotCommand("stylist", shopper_text("consultation_button", language)),
    ]


class Command(BaseCommand):
    help = "Set the Telegram bot's command menu (/start, /stylist) and show it as the chat's menu button."

    def handle(self, *args: Any, **options: Any) -> None:
        if not client.is_configured():
            raise CommandError("TELEGRAM_BOT_TOKEN is not set: the Telegram connector is off.")

        async def work(bot: Bot) -> str:
            await bot.set_my_commands(commands("en"))
            await bot.set_my_commands(commands("ru"), language_code="ru")
            await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
            return "Menu set: /start, /stylist (English and Russian)."

        try:
            self.stdout.write(client.run(work))
        except TelegramError as exc:
            raise CommandError(f"Telegram refused: {exc}") from exc
