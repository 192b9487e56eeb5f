"""A VK event (Callback API or Bots Long Poll) mapped to one chat action.

The raw event is deduped on VK's ``event_id``; the stored message's external id is
``"<peer id>:<conversation_message_id>"`` so a ``message_edit`` finds it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import requests
from vk_api.exceptions import VkApiError

from chat.actions import InboundAttachment, InboundMessage, do_receive_inbound
from chat.files import Refusal, check_file, check_file_size, refusal_note, refusal_notice
from chat.limits import message_max_chars
from chat.models import Connector, Identity
from chat.texts import greeting
from connectors import bots, callbacks, ratelimit
from connectors.inbox import Outcome, apply_edit, ignored, processed
from connectors.vk import client

logger = logging.getLogger(__name__)

CONNECTOR = Connector.VK
GROUP_CHAT_PEER_START = 2_000_000_000
# VK's client_info.lang_id to a language code (0 is Russian, 3 English).
LANGUAGES = {0: "ru", 1: "uk", 2: "be", 3: "en", 4: "es", 6: "de", 7: "it", 12: "fr", 16: "pl"}


def process_event(event: dict[str, Any]) -> Outcome:
    kind = event.get("type")
    obj = event["object"]
    if kind == "message_new":
        return _message_new(obj)
    if kind == "message_edit":
        return _message_edit(obj)
    if kind == "message_event":
        return _message_event(obj)
    return ignored(f"Event type {kind!r} is not handled.")


def external_id(message: dict[str, Any]) -> str:
    return f"{message['peer_id']}:{message['conversation_message_id']}"


def _message_new(obj: dict[str, Any]) -> Outcome:
    # Since API 5.103 the message sits under "message"; older versions send it bare.
    message = obj.get("message", obj)
    peer_id = int(message["peer_id"])
    if peer_id >= GROUP_CHAT_PEER_START:
        return ignored("Message in a group chat; only private messages to the community are served.")
    from_id = int(message["from_id"])
    if from_id <= 0:
        return ignored("Message from a community, not a person.")
    lang_id = (obj.get("client_info") or {}).get("lang_id")
    language = LANGUAGES.get(lang_id, "") if isinstance(lang_id, int) else ""
    payload = _payload(message.get("payload"))
    if payload is not None:
        outcome = _keyboard_payload(payload, message, from_id, language)
        if outcome is not None:
            return outcome
    text, attachments, refused = _content(message)
    parts = bots.split_long_text(text, message_max_chars())
    if (
        not attachments
        and not refused
        and len(parts) == 1
        and (thanks := bots.take_comment(CONNECTOR, str(from_id), text))
    ):
        reply_now(peer_id, thanks)
        return processed("rating comment")
    name = _name_if_new(from_id)
    stored = []
    for index, part in enumerate(parts):
        received = do_receive_inbound(
            InboundMessage(
                connector=CONNECTOR,
                sender_id=str(from_id),
                text=part,
                external_id=bots.part_external_id(external_id(message), index),
                sender_name=name,
                language=language,
                identity_details={"peer_id": peer_id},
                attachments=attachments if index == 0 else (),
            )
        )
        stored.append("duplicate" if received.duplicate else f"message {received.message.pk}")
    if refused and stored[0] != "duplicate":
        reply_now(peer_id, refusal_notice(refused, language))
    if "duplicate" not in stored and (
        slow_down := bots.slow_down_reply(connector=CONNECTOR, sender_id=str(from_id), language=language)
    ):
        reply_now(peer_id, slow_down)
        stored.append("asked to slow down")
    return processed(", ".join(stored))


def _name_if_new(user_id: int) -> str:
    """Ask ``users.get`` once, when this VK user first writes; a failure only costs the name."""
    if Identity.objects.filter(connector=CONNECTOR, external_id=str(user_id)).exists():
        return ""
    try:
        profile = client.user_profile(user_id)
    except (VkApiError, requests.RequestException, ratelimit.SlotTimeout) as exc:
        logger.warning("users.get failed for VK user %s: %s", user_id, exc)
        return ""
    return " ".join(part for part in (profile.get("first_name"), profile.get("last_name")) if part)[:200]


def _payload(raw: Any) -> dict[str, Any] | None:
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str) or not raw:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _keyboard_payload(payload: dict[str, Any], message: dict[str, Any], from_id: int, language: str) -> Outcome | None:
    """A text button's payload: ``{"command": ...}`` or ``{"data": "<prefix>:<rest>"}``."""
    peer_id = int(message["peer_id"])
    if isinstance(payload.get("data"), str):
        reply = callbacks.dispatch_callback(
            callbacks.ButtonPress(
                connector=CONNECTOR,
                sender_id=str(from_id),
                chat_id=str(peer_id),
                data=payload["data"],
                language=language,
                message_external_id=external_id(message),
            )
        )
        if reply:
            reply_now(peer_id, reply)
        return processed(f"button {payload['data'].split(':', 1)[0]}")
    command = payload.get("command")
    if isinstance(command, str):
        handled, reply = callbacks.dispatch_command(
            callbacks.Command(
                connector=CONNECTOR,
                sender_id=str(from_id),
                chat_id=str(peer_id),
                name=command.lower(),
                language=language,
                external_id=external_id(message),
            )
        )
        if not handled and command == "start":
            handled, reply = True, greeting(language)
        if handled:
            if reply:
                reply_now(peer_id, reply)
            return processed(f"command {command}")
    return None


def reply_now(peer_id: int, text: str) -> None:
    """An automatic answer (greeting, button reply); failures are logged, not retried."""
    try:
        client.send_text(peer_id, text, random_id=0)
    except (VkApiError, requests.RequestException, ratelimit.SlotTimeout) as exc:
        logger.warning("Could not answer VK peer %s: %s", peer_id, exc)


def _content(message: dict[str, Any]) -> tuple[str, list[InboundAttachment], list[Refusal]]:
    """The text to store (placeholders first), the downloaded files and the files our limits refused."""
    text = str(message.get("text") or "")
    notes: list[str] = []
    files: list[InboundAttachment] = []
    refused: list[Refusal] = []
    for index, attachment in enumerate(message.get("attachments") or []):
        kind = attachment.get("type")
        item = attachment.get(kind) or {}
        if kind == "photo" and item.get("sizes"):
            largest = max(item["sizes"], key=lambda size: size.get("width", 0) * size.get("height", 0))
            name = f"photo_{message.get('conversation_message_id', 0)}_{index}.jpg"
            _download(largest.get("url", ""), name, "image/jpeg", "photo", files, notes, refused)
        elif kind == "doc" and item.get("url"):
            name = item.get("title") or f"document_{index}.{item.get('ext', 'bin')}"
            if refusal := check_file_size(name, int(item.get("size") or 0), cap=client.MAX_DOWNLOAD_BYTES):
                notes.append(refusal_note(refusal))
                refused.append(refusal)
            else:
                _download(item["url"], name, "", f"document {name}", files, notes, refused)
        else:
            notes.append(_placeholder(kind, item))
    if geo := message.get("geo"):
        coordinates = geo.get("coordinates") or {}
        notes.append(f"[location {coordinates.get('latitude', 0):.2f}, {coordinates.get('longitude', 0):.2f}]")
    if not text and not files and not notes:
        notes.append("[empty message]")
    text = "\n".join([*notes, text] if text else notes)
    return text, files, refused


def _download(
    url: str,
    name: str,
    content_type: str,
    what: str,
    files: list[InboundAttachment],
    notes: list[str],
    refused: list[Refusal],
) -> None:
    try:
        content = client.download(url)
    except (requests.RequestException, ValueError) as exc:
        logger.warning("VK file not downloaded from %s: %s", url, exc)
        notes.append(f"[{what}: could not be downloaded]")
        return
    if refusal := check_file(name, content):
        notes.append(refusal_note(refusal))
        refused.append(refusal)
        return
    files.append(InboundAttachment(name=name, content=content, content_type=content_type))


def _placeholder(kind: str | None, item: dict[str, Any]) -> str:
    if kind == "sticker":
        return "[sticker]"
    if kind == "audio_message":
        return f"[voice message, {item.get('duration', 0)} s]"
    if kind == "video":
        return f"[video, {item.get('duration', 0)} s]"
    if kind == "audio":
        title = " - ".join(part for part in (item.get("artist"), item.get("title")) if part)
        return f"[audio{': ' + title if title else ''}]"
    if kind == "wall":
        return "[wall post]"
    if kind == "link":
        return f"[link {item.get('url', '')}]"
    if kind == "market":
        return f"[product: {item.get('title', '')}]"
    return f"[unsupported attachment: {kind}]"


def _message_edit(message: dict[str, Any]) -> Outcome:
    if int(message["peer_id"]) >= GROUP_CHAT_PEER_START:
        return ignored("Edit in a group chat.")
    text = str(message.get("text") or "")
    return apply_edit(connector=CONNECTOR, external_id=external_id(message), text=text)


def _message_event(obj: dict[str, Any]) -> Outcome:
    """A callback button: run its owner's handler, then answer so the button stops loading."""
    payload = _payload(obj.get("payload")) or {}
    press = callbacks.ButtonPress(
        connector=CONNECTOR,
        sender_id=str(obj["user_id"]),
        chat_id=str(obj["peer_id"]),
        data=str(payload.get("data") or ""),
        message_external_id=(
            f"{obj['peer_id']}:{obj['conversation_message_id']}" if obj.get("conversation_message_id") else None
        ),
    )
    answer: str | None = None
    try:
        answer = callbacks.dispatch_callback(press)
    finally:
        try:
            client.answer_event(
                event_id=str(obj["event_id"]), user_id=int(obj["user_id"]), peer_id=int(obj["peer_id"]), snackbar=answer
            )
        except (VkApiError, requests.RequestException, ratelimit.SlotTimeout) as exc:
            logger.warning("sendMessageEventAnswer failed: %s", exc)
    return processed(f"button {press.prefix}")
