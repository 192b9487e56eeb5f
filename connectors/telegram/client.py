"""python-telegram-bot's ``Bot``, pointed at ``TELEGRAM_API_URL``, one per ``asyncio.run``.

A ``Bot`` holds an httpx client bound to the event loop it was initialised in, so reusing one
across ``asyncio.run`` calls fails with "Event loop is closed": every call here opens its own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from django.conf import settings
from telegram import Bot, InlineKeyboardMarkup, InputFile, ReplyKeyboardMarkup, ReplyKeyboardRemove
from telegram._utils.types import ReplyMarkup

T = TypeVar("T")

# Bot API limit for getFile downloads.
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
# Bot API limit for a photo's or document's caption.
CAPTION_CHARS = 1024


def is_configured() -> bool:
    return bool(settings.TELEGRAM_BOT_TOKEN)


def make_bot() -> Bot:
    root = settings.TELEGRAM_API_URL.rstrip("/")
    return Bot(settings.TELEGRAM_BOT_TOKEN, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot")


def run(work: Callable[[Bot], Awaitable[T]]) -> T:
    """Run ``work(bot)`` to completion from synchronous code (views, tasks, commands)."""

    async def main() -> T:
        async with make_bot() as bot:
            return await work(bot)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    # Called from inside an event loop (an async caller): run on a thread with a loop of its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


def as_reply_markup(markup: ReplyMarkup | Mapping[str, Any] | None, bot: Bot) -> ReplyMarkup | None:
    """Accept a Bot API ``reply_markup`` dict (``{"inline_keyboard": [...]}``) or a PTB object."""
    if markup is None or not isinstance(markup, Mapping):
        return markup
    data = dict(markup)
    if "inline_keyboard" in data:
        return InlineKeyboardMarkup.de_json(data, bot)
    if "keyboard" in data:
        return ReplyKeyboardMarkup.de_json(data, bot)
    if data.get("remove_keyboard"):
        return ReplyKeyboardRemove()
    raise ValueError(f"Unsupported reply_markup: {sorted(data)}")


def send_text(chat_id: int | str, text: str, reply_markup: ReplyMarkup | Mapping[str, Any] | None = None) -> int:
    """Send a message (optionally with a keyboard); return Telegram's message id.

    Raises python-telegram-bot's errors (``RetryAfter``, ``Forbidden``, ``NetworkError``...) for
    the caller to classify; this is the one outbound call other apps should use.
    """

    async def work(bot: Bot) -> int:
        sent = await bot.send_message(chat_id=chat_id, text=text, reply_markup=as_reply_markup(reply_markup, bot))
        return sent.message_id

    return run(work)


def send_file(chat_id: int | str, *, content: bytes, name: str, as_photo: bool, caption: str = "") -> int:
    """A photo (shown in the chat) or a document (a download) with an optional caption (at most
    CAPTION_CHARS); return Telegram's message id. Errors as :func:`send_text`."""

    async def work(bot: Bot) -> int:
        upload = InputFile(content, filename=name)
        if as_photo:
            sent = await bot.send_photo(chat_id=chat_id, photo=upload, caption=caption or None)
        else:
            sent = await bot.send_document(chat_id=chat_id, document=upload, caption=caption or None)
        return sent.message_id

    return run(work)


def answer_callback_query(callback_query_id: str, text: str | None = None) -> None:
    async def work(bot: Bot) -> None:
        await bot.answer_callback_query(callback_query_id=callback_query_id, text=text or None)

    run(work)


def edit_message_reply_markup(
    chat_id: int | str, message_id: int, reply_markup: InlineKeyboardMarkup | Mapping[str, Any] | None = None
) -> None:
    """Replace (or, with ``None``, remove) the inline keyboard under a message we sent (after a rating)."""

    async def work(bot: Bot) -> None:
        markup = as_reply_markup(reply_markup, bot)
        if markup is not None and not isinstance(markup, InlineKeyboardMarkup):
            raise ValueError("Only an inline keyboard can be edited under a sent message.")
        await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=markup)

    run(work)


def download(file_id: str) -> bytes:
    """``getFile`` then the file itself (the Bot API serves at most 20 MB)."""

    async def work(bot: Bot) -> bytes:
        file = await bot.get_file(file_id)
        if file.file_size and file.file_size > MAX_DOWNLOAD_BYTES:
            raise ValueError("The file is over 20 MB.")
        return bytes(await file.download_as_bytearray())

    return run(work)
