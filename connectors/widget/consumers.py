"""The shopper's live connection (protocol: PROTOCOL.md beside this module).

Thin on purpose: it authenticates the visitor token, checks that a conversation is the visitor's,
joins that conversation's group *before* replaying from the database (so nothing falls between the
two), turns frames into ``chat.actions`` calls and ``chat.events`` into frames. Every write goes
through an action; every database read through ``database_sync_to_async``.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async

from chat import events
from chat.actions import (
    InboundMessage,
    ReceivedMessage,
    do_close,
    do_leave_contact_while_waiting,
    do_open_conversation,
    do_receive_inbound,
    do_start_consultation,
)
from chat.consumers import CLOSE_UNAVAILABLE, DATABASE_UNAVAILABLE, LiveConsumer
from chat.errors import ChatError, ConversationClosed, InvalidInput
from chat.feedback import STYLIST_QUEUE
from chat.models import Connector
from chat.payloads import message_payload
from connectors import feedback
from connectors.widget import selectors
from connectors.widget.signing import InvalidToken, read_token

# A 4,096-character message JSON-escaped stays well below this; anything bigger is refused unread.
MAX_FRAME_CHARS = 64 * 1024
MAX_CLIENT_ID_CHARS = 64
TYPING_MIN_INTERVAL_SECONDS = 1.0
QUEUES = ("general", "stylist")
# Close code for a forged or expired token given in the query string.
CLOSE_INVALID_TOKEN = 4401
# Message ids sent on this socket, remembered for the catch-up (chat.consumers.LiveConsumer).
SENT_IDS_KEPT = 500

Frame = dict[str, Any]


class FrameError(Exception):
    """A frame the consumer refuses: answered with an error frame, the connection kept."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _conversation_id(frame: Frame) -> int | None:
    value = frame.get("conversation_id")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise FrameError("malformed", "conversation_id must be an integer.")
    return value


def _last_id(frame: Frame) -> int:
    value = frame.get("last_id", 0)
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise FrameError("malformed", "last_id must be a non-negative integer.")
    return value


def _queue(frame: Frame) -> str | None:
    queue = frame.get("queue")
    if queue is not None and queue not in QUEUES:
        raise FrameError("unknown_queue", f"Unknown queue; use one of {', '.join(QUEUES)}.")
    return queue


def _receive(inbound: InboundMessage, *, may_move: bool) -> tuple[ReceivedMessage, Frame]:
    """Store the message and render the shopper's copy in one trip to the process' database thread.

    When the followed chat closed a moment ago (its event is on the way) and the shopper did not
    name a conversation, the message is written as after a close: into a new one.
    """
    try:
        received = do_receive_inbound(inbound)
    except ConversationClosed:
        if not may_move:
            raise
        received = do_receive_inbound(replace(inbound, conversation_id=None))
    return received, message_payload(received.message, for_shopper=True)


def _state_frames(conversation_id: int | None, last_id: int) -> list[Frame]:
    """The conversation's state and replay, then the stars still to give or the consultation's
    questionnaire still to fill in: one trip to the database thread."""
    state = selectors.widget_state(conversation_id=conversation_id, last_id=last_id)
    return [state, *feedback.widget_feedback_frames(conversation_id)]


class WidgetConsumer(LiveConsumer):
    visitor_id: str | None = None
    conversation_id: int | None = None
    # Whether the followed conversation is still open: a message goes there, not to the newest one.
    following_open: bool = False
    language: str = ""
    last_typing_at: float = 0.0

    # --- connection ------------------------------------------------------------------------------
    async def connect(self) -> None:
        self.sent_ids: deque[int] = deque(maxlen=SENT_IDS_KEPT)
        self.caught_up_to = 0
        await self.accept()
        self.start_catching_up()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        if "token" in query:
            try:
                frame: Frame = {"token": query["token"][0], "last_id": int(query.get("last_id", ["0"])[0])}
                if "conversation_id" in query:
                    frame["conversation_id"] = int(query["conversation_id"][0])
            except ValueError:
                frame = {"token": query["token"][0]}
            try:
                await self.on_hello(frame)
            except (InvalidToken, FrameError, ChatError) as exc:
                await self.send_error("invalid_token" if isinstance(exc, InvalidToken) else exc.code, str(exc))
                await self.close(code=CLOSE_INVALID_TOKEN)
            except DATABASE_UNAVAILABLE:
                await self._unavailable(frame)

    async def disconnect(self, code: int) -> None:
        self.stop_catching_up()
        await self._leave_group()

    async def catch_up(self) -> None:
        """Messages of the followed conversation this socket never sent (their broadcast died with
        the process that stored them), by ``catch_up_window``."""
        conversation_id = self.conversation_id
        after, since = self.catch_up_window()
        if conversation_id is None or self.visitor_id is None:
            return
        self.caught_up_to = max([after, *self.sent_ids])
        missed = await database_sync_to_async(selectors.messages_to_catch_up)(
            conversation_id=conversation_id, after_id=after, since=since
        )
        for message in missed:
            if message["id"] not in self.sent_ids and conversation_id == self.conversation_id:
                await self.send_json({"type": "message", "conversation_id": conversation_id, "message": message})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        frame: Frame | None = None
        try:
            frame = self._parse(text_data, bytes_data)
            kind = frame["type"]
            handler = self.handlers.get(kind)
            if handler is None:
                raise FrameError("unknown_type", f"Unknown frame type {kind!r}.")
            if kind != "hello" and self.visitor_id is None:
                raise FrameError("hello_first", "Send hello with your token first.")
            await handler(self, frame)
        except InvalidToken:
            await self.send_error("invalid_token", "The token is not valid; ask for a new one.", frame)
        except (FrameError, ChatError) as exc:
            await self.send_error(exc.code, exc.message, frame)
        except DATABASE_UNAVAILABLE:
            await self._unavailable(frame)

    async def _unavailable(self, frame: Frame | None) -> None:
        """The database is away: nothing was stored. The widget keeps the text, shows that it will try
        again, and reconnects with backoff; its outbox goes out again once the state frame arrives."""
        await self.send_error("unavailable", "The chat is briefly unavailable; your message will be sent again.", frame)
        await self.close(code=CLOSE_UNAVAILABLE)

    @staticmethod
    def _parse(text_data: str | None, bytes_data: bytes | None) -> Frame:
        if text_data is None:
            raise FrameError("malformed", "Frames are JSON text.")
        if len(text_data) > MAX_FRAME_CHARS:
            raise FrameError("too_large", f"Frames are at most {MAX_FRAME_CHARS} characters.")
        try:
            frame = json.loads(text_data)
        except ValueError as exc:
            raise FrameError("malformed", "The frame is not valid JSON.") from exc
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            raise FrameError("malformed", 'A frame is a JSON object with a string "type".')
        return frame

    async def send_json(self, frame: Frame) -> None:
        await self.send(text_data=json.dumps(frame, ensure_ascii=False))
        if frame.get("type") == "message":
            self.sent_ids.append(frame["message"]["id"])
        elif frame.get("type") == "state":
            self.sent_ids.extend(message["id"] for message in frame["messages"])

    async def send_error(self, code: str, message: str, frame: Frame | None = None) -> None:
        error: Frame = {"type": "error", "code": code, "message": message}
        if isinstance(frame, dict):
            error["ref"] = frame.get("type")
            if isinstance(frame.get("client_id"), str):
                error["client_id"] = frame["client_id"]
        await self.send_json(error)

    # --- following one conversation ------------------------------------------------------------
    async def _leave_group(self) -> None:
        if self.conversation_id is not None:
            await self.channel_layer.group_discard(events.conversation_group(self.conversation_id), self.channel_name)

    async def _follow(self, conversation_id: int | None, last_id: int) -> None:
        """Join the conversation's group first, then replay from the database: nothing falls between."""
        self.caught_up_to = max(self.caught_up_to, last_id) if conversation_id == self.conversation_id else last_id
        if conversation_id != self.conversation_id:
            await self._leave_group()
            self.conversation_id = conversation_id
            if conversation_id is not None:
                await self.channel_layer.group_add(events.conversation_group(conversation_id), self.channel_name)
        frames = await database_sync_to_async(_state_frames)(conversation_id, last_id)
        self.following_open = frames[0]["state"] in selectors.OPEN_STATES
        for frame in frames:
            await self.send_json(frame)

    async def _check_mine(self, conversation_id: int) -> None:
        assert self.visitor_id is not None
        await database_sync_to_async(selectors.access_conversation_for_visitor)(
            visitor_id=self.visitor_id, conversation_id=conversation_id
        )

    async def _open(self, queue: str) -> int:
        """Open a conversation before the first message; the consultation takes the same path as on
        Telegram and VK (one per shopper, the open general chat handed over)."""
        assert self.visitor_id is not None
        if queue == STYLIST_QUEUE:
            consultation = await database_sync_to_async(do_start_consultation)(
                connector=Connector.WIDGET, sender_id=self.visitor_id, language=self.language
            )
            return consultation.conversation.pk
        conversation = await database_sync_to_async(do_open_conversation)(
            connector=Connector.WIDGET, sender_id=self.visitor_id, queue_slug=queue, language=self.language
        )
        return conversation.pk

    # --- client frames ------------------------------------------------------------------------
    async def on_hello(self, frame: Frame) -> None:
        visitor_id = read_token(frame.get("token"))
        language = frame.get("language")
        self.language = language[:8] if isinstance(language, str) else ""
        last_id = _last_id(frame)
        wanted = _conversation_id(frame)
        queue = _queue(frame)
        self.visitor_id = visitor_id
        if queue is not None:
            await self._follow(await self._open(queue), 0)
            return
        if wanted is not None:
            await self._check_mine(wanted)
        else:
            wanted = await database_sync_to_async(selectors.current_conversation_id)(visitor_id)
        await self._follow(wanted, last_id)

    async def on_open(self, frame: Frame) -> None:
        await self._follow(await self._open(_queue(frame) or "general"), 0)

    async def on_message(self, frame: Frame) -> None:
        assert self.visitor_id is not None
        text = frame.get("text")
        if not isinstance(text, str):
            raise FrameError("malformed", "text must be a string.")
        client_id = frame.get("client_id")
        if not isinstance(client_id, str) or not 0 < len(client_id) <= MAX_CLIENT_ID_CHARS:
            raise FrameError("malformed", f"client_id must be a string of 1-{MAX_CLIENT_ID_CHARS} characters.")
        wanted = _conversation_id(frame)
        if wanted is not None and wanted != self.conversation_id:
            await self._check_mine(wanted)
        # A visitor may have a general chat and a consultation open: write where the socket looks.
        followed = self.conversation_id if self.following_open else None
        inbound = InboundMessage(
            connector=Connector.WIDGET,
            sender_id=self.visitor_id,
            text=text,
            external_id=f"{self.visitor_id}:{client_id}",
            language=self.language,
            conversation_id=wanted if wanted is not None else followed,
        )
        received, payload = await database_sync_to_async(_receive)(inbound, may_move=wanted is None)
        if received.conversation.pk != inbound.conversation_id:
            self.following_open = False
        await self.send_json(
            {
                "type": "message",
                "conversation_id": received.conversation.pk,
                "message": payload,
                "client_id": client_id,
                "duplicate": received.duplicate,
            }
        )
        if received.conversation.pk != self.conversation_id:
            # A first message (or one after a close) opened a conversation: follow it from the start.
            # The acknowledgement goes first, so the client drops its pending copy before the replay.
            await self._follow(received.conversation.pk, 0)

    async def on_typing(self, frame: Frame) -> None:
        now = time.monotonic()
        if self.conversation_id is None or now - self.last_typing_at < TYPING_MIN_INTERVAL_SECONDS:
            return
        self.last_typing_at = now
        operator_id = await database_sync_to_async(selectors.conversation_operator_id)(self.conversation_id)
        await events.relay_typing(conversation_id=self.conversation_id, author_kind="shopper", operator_id=operator_id)

    async def on_close(self, frame: Frame) -> None:
        if self.conversation_id is None:
            raise InvalidInput("There is no conversation to close.")
        await database_sync_to_async(do_close)(conversation_id=self.conversation_id, by="shopper")

    async def on_position(self, frame: Frame) -> None:
        if self.conversation_id is None:
            await self.send_json({"type": "queue.position", "conversation_id": None, **selectors.NOT_QUEUED})
            return
        await self.send_json(await database_sync_to_async(selectors.queue_position)(self.conversation_id))

    async def on_contact(self, frame: Frame) -> None:
        """The shopper would rather not wait: an email or phone to answer on, the chat kept queued."""
        assert self.visitor_id is not None
        if self.conversation_id is None or not self.following_open:
            raise InvalidInput("There is no open conversation to leave a contact for.")
        fields = {key: frame.get(key, "") for key in ("name", "email", "phone")}
        if not all(isinstance(value, str) for value in fields.values()):
            raise FrameError("malformed", "name, email and phone must be strings.")
        await database_sync_to_async(do_leave_contact_while_waiting)(
            connector=Connector.WIDGET, sender_id=self.visitor_id, conversation_id=self.conversation_id, **fields
        )
        await self.send_json({"type": "contact.saved", "conversation_id": self.conversation_id})

    async def on_rate(self, frame: Frame) -> None:
        """1-5 stars and an optional comment for one of this visitor's closed chats."""
        assert self.visitor_id is not None
        conversation_id = _conversation_id(frame) or self.conversation_id
        if conversation_id is None:
            raise InvalidInput("There is no conversation to rate.")
        await self._check_mine(conversation_id)
        rated = await database_sync_to_async(feedback.widget_rate)(
            visitor_id=self.visitor_id,
            conversation_id=conversation_id,
            stars=frame.get("stars"),
            comment=frame.get("comment", ""),
        )
        await self.send_json(rated)

    handlers: dict[str, Callable[[WidgetConsumer, Frame], Awaitable[None]]] = {
        "hello": on_hello,
        "open": on_open,
        "message": on_message,
        "typing": on_typing,
        "close": on_close,
        "position": on_position,
        "contact": on_contact,
        "rate": on_rate,
    }

    # --- chat.events -> frames -----------------------------------------------------------------
    async def event(self, message: dict[str, Any]) -> None:
        """``{"type": "event", "id", "kind", "payload"}`` from ``conversation.<id>``, as a frame."""
        kind, payload = message.get("kind"), message.get("payload") or {}
        frame = self._frame_for_event(kind, payload)
        if frame is not None:
            await self.send_json(frame)

    def _frame_for_event(self, kind: object, payload: dict[str, Any]) -> Frame | None:
        conversation_id = self.conversation_id
        if kind in ("message.new", "message.edited"):
            if payload.get("conversation_id") != conversation_id:
                return None
            return {"type": "message", "conversation_id": conversation_id, "message": payload}
        if kind == "conversation.assigned":
            return {
                "type": "assigned",
                "conversation_id": conversation_id,
                "operator_name": payload.get("operator_name", ""),
            }
        if kind == "queue.position":
            return {
                "type": "queue.position",
                "conversation_id": conversation_id,
                "position": payload.get("position"),
                "estimated_wait_seconds": payload.get("estimated_wait_seconds"),
                "nobody_online": bool(payload.get("nobody_online")),
                "offer_message": bool(payload.get("offer_message")),
            }
        if kind == "conversation.queued":
            return {"type": "queued", "conversation_id": conversation_id}
        if kind == "conversation.closed":
            self.following_open = False
            return {
                "type": "closed",
                "conversation_id": conversation_id,
                "by": payload.get("by", ""),
                "unanswered": bool(payload.get("unanswered")),
            }
        if kind == "rating.requested":
            return {"type": "rating.requested", "conversation_id": conversation_id, "prompt": payload.get("prompt", "")}
        if kind == "conversation.rated":
            return {"type": "rated", "conversation_id": conversation_id, "stars": payload.get("stars")}
        if kind == "questionnaire.submitted":
            text = payload.get("text", "")
            return {"type": "questionnaire.submitted", "conversation_id": conversation_id, "text": text}
        if kind == "typing" and payload.get("author_kind") != "shopper":
            return {"type": "typing", "conversation_id": conversation_id, "name": payload.get("name", "")}
        return None
