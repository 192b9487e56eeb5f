"""A Telegram update (webhook or getUpdates) mapped to one chat action.

Message ids: the update's ``update_id`` dedupes the raw update; the stored message's external id is
``"<chat id>:<message id>"`` so an ``edited_message`` update finds the original message.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram.error import TelegramError

from chat.actions import InboundAttachment, InboundMessage, do_receive_inbound, do_set_contact_details
from chat.files import Refusal, check_file, check_file_size, refusal_note, refusal_notice
from chat.limits import message_max_chars
from chat.models import Connector
from chat.texts import greeting
from connectors import bots, callbacks, ratelimit
from connectors.inbox import Outcome, apply_edit, ignored, processed
from connectors.telegram import client

logger = logging.getLogger(__name__)

CONNECTOR = Connector.TELEGRAM


def update_kind(update: dict[str, Any]) -> str:
    """The update's type: its one key besides ``update_id``."""
    keys = [key for key in update if key != "update_id"]
    return keys[0] if keys else "unknown"


def process_update(update: dict[str, Any]) -> Outcome:
    kind = update_kind(update)
    if kind == "message":
        return _message(update["message"])
    if kind == "edited_message":
        return _edited(update["edited_message"])
    if kind == "callback_query":
        return _callback(update["callback_query"])
    return ignored(f"Update type {kind!r} is not handled.")


def external_id(message: dict[str, Any]) -> str:
    return f"{message['chat']['id']}:{message['message_id']}"


def _sender(message: dict[str, Any]) -> dict[str, Any]:
    sender = message["from"]
    if not isinstance(sender, dict) or "id" not in sender:
        raise ValueError("The message has no sender.")
    return sender


def _name(sender: dict[str, Any]) -> str:
    return " ".join(part for part in (sender.get("first_name"), sender.get("last_name")) if part)[:200]


def _private(message: dict[str, Any]) -> bool:
    return message["chat"].get("type") == "private"


def _message(message: dict[str, Any]) -> Outcome:
    if not _private(message):
        return ignored(f"Message in a {message['chat'].get('type')} chat; only private chats are served.")
    sender = _sender(message)
    chat_id = message["chat"]["id"]
    language = str(sender.get("language_code") or "")[:8]
    text = message.get("text")
    if isinstance(text, str) and text.startswith("/"):
        outcome = _command(message, sender, text)
        if outcome is not None:
            return outcome
    text, attachments, refused = _content(message)
    parts = bots.split_long_text(text, message_max_chars())
    if (
        not attachments
        and not refused
        and len(parts) == 1
        and (thanks := bots.take_comment(CONNECTOR, str(sender["id"]), text))
    ):
        reply_now(chat_id, thanks)
        return processed("rating comment")
    stored = []
    for index, part in enumerate(parts):
        received = do_receive_inbound(
            InboundMessage(
                connector=CONNECTOR,
                sender_id=str(sender["id"]),
                text=part,
                external_id=bots.part_external_id(external_id(message), index),
                sender_name=_name(sender),
                language=language,
                identity_details={"chat_id": chat_id, "username": sender.get("username") or ""},
                attachments=attachments if index == 0 else (),
            )
        )
        stored.append("duplicate" if received.duplicate else f"message {received.message.pk}")
    shared = message.get("contact")
    if isinstance(shared, dict) and shared.get("user_id") == sender["id"] and shared.get("phone_number"):
        # The shopper shared their own Telegram number: Telegram confirmed it, so it is a verified key.
        do_set_contact_details(
            connector=CONNECTOR, sender_id=str(sender["id"]), phone=str(shared["phone_number"])[:40], verified=True
        )
    if refused and stored[0] != "duplicate":
        reply_now(chat_id, refusal_notice(refused, language))
    if "duplicate" not in stored and (
        slow_down := bots.slow_down_reply(connector=CONNECTOR, sender_id=str(sender["id"]), language=language)
    ):
        reply_now(chat_id, slow_down)
        stored.append("asked to slow down")
    return processed(", ".join(stored))


def _command(message: dict[str, Any], sender: dict[str, Any], text: str) -> Outcome | None:
    """``/start`` greets; other commands go to their owner (``/stylist``); unclaimed ones are text."""
    head, _, args = text.partition(" ")
    name = head[1:].split("@", 1)[0].lower()
    chat_id = message["chat"]["id"]
    language = str(sender.get("language_code") or "")
    command = callbacks.Command(
        connector=CONNECTOR,
        sender_id=str(sender["id"]),
        chat_id=str(chat_id),
        name=name,
        args=args.strip(),
        sender_name=_name(sender),
        language=language,
        external_id=external_id(message),
    )
    handled, reply = callbacks.dispatch_command(command)
    if not handled and name == "start":
        handled, reply = True, greeting(language)
    if not handled:
        return None
    if reply:
        reply_now(chat_id, reply)
    return processed(f"command /{name}")


def reply_now(chat_id: int | str, text: str) -> None:
    """An automatic answer outside any conversation (greetings); failures are logged, not retried."""
    try:
        ratelimit.acquire(ratelimit.telegram_windows(chat_id))
        client.send_text(chat_id, text)
    except (TelegramError, ratelimit.SlotTimeout) as exc:
        logger.warning("Could not answer Telegram chat %s: %s", chat_id, exc)


def _content(message: dict[str, Any]) -> tuple[str, list[InboundAttachment], list[Refusal]]:
    """The text to store, the downloaded files and the files refused by our limits; anything else
    becomes a readable placeholder."""
    caption = message.get("caption") or ""
    if "text" in message:
        return str(message["text"]), [], []
    if message.get("photo"):
        largest = max(message["photo"], key=lambda size: size.get("width", 0) * size.get("height", 0))
        return _file(caption, largest, f"photo_{message['message_id']}.jpg", "image/jpeg", "photo")
    if message.get("document"):
        document = message["document"]
        name = document.get("file_name") or f"document_{message['message_id']}"
        return _file(caption, document, name, document.get("mime_type") or "", f"document {name}")
    placeholder = _placeholder(message)
    return (f"{placeholder}\n{caption}" if caption else placeholder), [], []


def _file(
    caption: str, file: dict[str, Any], name: str, content_type: str, what: str
) -> tuple[str, list[InboundAttachment], list[Refusal]]:
    refusal = check_file_size(name, int(file.get("file_size") or 0), cap=client.MAX_DOWNLOAD_BYTES)
    if refusal is None:
        try:
            content = client.download(file["file_id"])
        except (TelegramError, ValueError) as exc:
            logger.warning("Telegram file %s not downloaded: %s", file.get("file_id"), exc)
            note = f"[{what}: could not be downloaded]"
            return (f"{note}\n{caption}" if caption else note), [], []
        refusal = check_file(name, content)
    if refusal is not None:
        note = refusal_note(refusal)
        return (f"{note}\n{caption}" if caption else note), [], [refusal]
    return caption, [InboundAttachment(name=name, content=content, content_type=content_type)], []


def _placeholder(message: dict[str, Any]) -> str:
    if sticker := message.get("sticker"):
        return f"[sticker {sticker.get('emoji') or ''}]".replace(" ]", "]")
    if voice := message.get("voice"):
        return f"[voice message, {voice.get('duration', 0)} s]"
    if note := message.get("video_note"):
        return f"[video message, {note.get('duration', 0)} s]"
    if video := message.get("video"):
        return f"[video, {video.get('duration', 0)} s]"
    if audio := message.get("audio"):
        title = " - ".join(part for part in (audio.get("performer"), audio.get("title")) if part)
        return f"[audio{': ' + title if title else ''}, {audio.get('duration', 0)} s]"
    if message.get("animation"):
        return "[GIF animation]"
    if venue := message.get("venue"):
        return f"[place {venue.get('title', '')}, {venue.get('address', '')}]"
    if location := message.get("location"):
        return f"[location {location['latitude']:.2f}, {location['longitude']:.2f}]"
    if contact := message.get("contact"):
        name = " ".join(part for part in (contact.get("first_name"), contact.get("last_name")) if part)
        return f"[contact {name} {contact.get('phone_number', '')}]".strip()
    if poll := message.get("poll"):
        return f"[poll: {poll.get('question', '')}]"
    if dice := message.get("dice"):
        return f"[dice {dice.get('emoji', '')} {dice.get('value', '')}]"
    kinds = sorted(set(message) - {"message_id", "from", "chat", "date", "caption", "caption_entities"})
    return f"[unsupported message: {', '.join(kinds) or 'empty'}]"


def _edited(message: dict[str, Any]) -> Outcome:
    if not _private(message):
        return ignored("Edit in a group chat.")
    text = message.get("text")
    if text is None:
        text = message.get("caption") or ""
    return apply_edit(connector=CONNECTOR, external_id=external_id(message), text=text)


def _callback(query: dict[str, Any]) -> Outcome:
    sender = _sender(query)
    message = query.get("message") or {}
    chat_id = (message.get("chat") or {}).get("id", sender["id"])
    press = callbacks.ButtonPress(
        connector=CONNECTOR,
        sender_id=str(sender["id"]),
        chat_id=str(chat_id),
        data=str(query.get("data") or ""),
        sender_name=_name(sender),
        language=str(sender.get("language_code") or ""),
        message_external_id=external_id(message) if message.get("message_id") else None,
    )
    answer: str | None = None
    try:
        answer = callbacks.dispatch_callback(press)
    finally:
        # Always answer, or the shopper's button keeps spinning.
        try:
            client.answer_callback_query(str(query["id"]), text=answer)
        except TelegramError as exc:
            logger.warning("answerCallbackQuery failed: %s", exc)
    return processed(f"button {press.prefix}")
