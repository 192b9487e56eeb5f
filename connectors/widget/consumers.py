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
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.utils import translation

from chat import events, throttle
from chat.actions import (
    InboundMessage,
    ReceivedMessage,
    do_close,
    do_leave_contact_while_waiting,
    do_open_conversation,
    do_receive_inbound,
    do_report_visitor_context,
    do_start_consultation,
)
from chat.actions.consultations import STYLIST_QUEUE
from chat.consumers import CLOSE_UNAVAILABLE, DATABASE_UNAVAILABLE, LiveConsumer
from chat.errors import ChatError, ConversationClosed, InvalidInput, RateLimited
from chat.models import Connector
from chat.payloads import message_payload
from chat.selectors import place_in_head
from chat.untrusted import MAX_ID
from connectors.widget import feedback, notices, selectors
from connectors.widget.frames import (
    Bare,
    ClientFrame,
    Contact,
    Context,
    FrameError,
    Hello,
    Message,
    Open,
    Rate,
    parse_frame,
)
from connectors.widget.signing import InvalidToken, read_token

TYPING_MIN_INTERVAL_SECONDS = 1.0
# Close code for a forged or expired token given in the query string.
CLOSE_INVALID_TOKEN = 4401
# Message ids sent on this socket, remembered for the catch-up (chat.consumers.LiveConsumer).
SENT_IDS_KEPT = 500

Frame = dict[str, Any]


_KINDS: dict[type, str] = {
    Hello: "hello",
    Open: "open",
    Message: "message",
    Rate: "rate",
    Contact: "contact",
    Context: "context",
}
# Page changes are a few a minute; more is a script, refused like any flood.
CONTEXT_REPORTS_PER_MINUTE = 60


def _supported_language(language: str) -> str | None:
    """The shopper's language if the site speaks it (refusals are read by the shopper), else None."""
    try:
        return translation.get_supported_language_variant(language) if language else None
    except LookupError:
        return None


def _query_id(query: dict[str, list[str]], key: str) -> int | None:
    """An id from the query string; a bad one is refused like the same field in a hello frame."""
    if key not in query:
        return None
    raw = query[key][0]
    value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 19 else -1
    if not 0 <= value <= MAX_ID:
        raise FrameError("malformed", f"{key} must be a whole number from 0 to {MAX_ID}.")
    return value or (0 if key == "last_id" else None)


def shopper_language(language: str) -> str:
    """The catalogue language for a shopper's hello language ("ru-RU" -> "ru"; anything else English)."""
    return "ru" if language.lower().startswith("ru") else "en"


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
    return [state, *feedback.feedback_frames(conversation_id)]


class WidgetConsumer(LiveConsumer):
    visitor_id: str | None = None
    conversation_id: int | None = None
    # Whether the followed conversation is still open: a message goes there, not to the newest one.
    following_open: bool = False
    language: str = ""
    last_typing_at: float = 0.0
    # The queue the followed chat waits in (its ``queue.moved`` events come here) and the newest
    # event's stamp: an older one arriving late from another process must not undo a newer place.
    queue_followed: int | None = None
    queue_stamp: int = 0

    # --- connection ------------------------------------------------------------------------------
    async def connect(self) -> None:
        self.sent_ids: deque[int] = deque(maxlen=SENT_IDS_KEPT)
        self.caught_up_to = 0
        self.state_sent_for: int | None = None
        self.visitor_report: dict[str, Any] | None = None
        self.context_stored_for: int | None = None
        self.context_times: deque[float] = deque()
        await self.accept()
        self.start_catching_up()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        if "token" in query:
            try:
                hello = Hello(
                    token=query["token"][0],
                    last_id=_query_id(query, "last_id") or 0,
                    conversation_id=_query_id(query, "conversation_id"),
                    language="",
                    queue=None,
                )
                try:
                    await self.on_hello(hello)
                except RateLimited as exc:
                    await self.send_error(exc.code, exc.message, retry_after=exc.retry_after)
            except (InvalidToken, FrameError, ChatError) as exc:
                await self.send_error("invalid_token" if isinstance(exc, InvalidToken) else exc.code, str(exc))
                await self.close(code=CLOSE_INVALID_TOKEN)
            except DATABASE_UNAVAILABLE:
                await self._unavailable("hello", None)

    async def disconnect(self, code: int) -> None:
        self.stop_catching_up()
        await self._leave_group()
        await self._follow_queue(None)
        if self.visitor_id is not None:
            await self.channel_layer.group_discard(notices.visitor_group(self.visitor_id), self.channel_name)

    async def catch_up(self) -> None:
        """Messages of the followed conversation this socket never sent (their broadcast died with
        the process that stored them), by ``catch_up_window``."""
        conversation_id = self.conversation_id
        after, since = self.catch_up_window()
        if conversation_id is None or self.visitor_id is None or self.state_sent_for != conversation_id:
            return  # until the conversation's state frame is out, its messages are not ours to catch up
        self.caught_up_to = max([after, *self.sent_ids])
        missed = await database_sync_to_async(selectors.messages_to_catch_up)(
            conversation_id=conversation_id, after_id=after, since=since
        )
        for message in missed:
            if message["id"] not in self.sent_ids and conversation_id == self.conversation_id:
                await self.send_json({"type": "message", "conversation_id": conversation_id, "message": message})

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        client_id: str | None = None
        kind: str | None = None
        try:
            frame = parse_frame(text_data, bytes_data)
            kind = frame.kind if isinstance(frame, Bare) else _KINDS[type(frame)]
            client_id = frame.client_id if isinstance(frame, Message) else None
            if kind != "hello" and self.visitor_id is None:
                raise FrameError("hello_first", "Send hello with your token first.")
            with translation.override(_supported_language(self.language)):
                await self._handle(frame)
        except InvalidToken:
            await self.send_error("invalid_token", "The token is not valid; ask for a new one.", kind, client_id)
        except RateLimited as exc:
            await self.send_error(exc.code, exc.message, kind, client_id, retry_after=exc.retry_after)
        except FrameError as exc:
            await self.send_error(exc.code, exc.message, exc.ref or kind, exc.client_id or client_id)
        except ChatError as exc:
            await self.send_error(exc.code, exc.message, kind, client_id)
        except DATABASE_UNAVAILABLE:
            await self._unavailable(kind, client_id)

    async def _unavailable(self, kind: str | None, client_id: str | None) -> None:
        """The database is away: nothing was stored. The widget keeps the text, shows that it will try
        again, and reconnects with backoff; its outbox goes out again once the state frame arrives."""
        message = "The chat is briefly unavailable; your message will be sent again."
        await self.send_error("unavailable", message, kind, client_id)
        await self.close(code=CLOSE_UNAVAILABLE)

    async def _handle(self, frame: ClientFrame) -> None:
        if isinstance(frame, Hello):
            await self.on_hello(frame)
        elif isinstance(frame, Open):
            await self.on_open(frame)
        elif isinstance(frame, Message):
            await self.on_message(frame)
        elif isinstance(frame, Rate):
            await self.on_rate(frame)
        elif isinstance(frame, Contact):
            await self.on_contact(frame)
        elif isinstance(frame, Context):
            await self.on_context(frame)
        elif frame.kind == "typing":
            await self.on_typing()
        elif frame.kind == "close":
            await self.on_close()
        else:
            await self.on_position()

    async def send_json(self, frame: Frame) -> None:
        await self._follow_queue_of(frame)
        await self.send(text_data=json.dumps(frame, ensure_ascii=False))
        if frame.get("type") == "message":
            self.sent_ids.append(frame["message"]["id"])
        elif frame.get("type") == "state":
            self.sent_ids.extend(message["id"] for message in frame["messages"])
            self.state_sent_for = frame.get("conversation_id")

    async def send_error(
        self, code: str, message: str, ref: str | None = None, client_id: str | None = None, **extra: Any
    ) -> None:
        """``ref`` and ``client_id`` come from checked frames only: what is echoed can always be sent."""
        error: Frame = {"type": "error", "code": code, "message": message, **extra}
        if ref is not None:
            error["ref"] = ref
        if client_id is not None:
            error["client_id"] = client_id
        await self.send_json(error)

    # --- following one conversation ------------------------------------------------------------
    async def _leave_group(self) -> None:
        if self.conversation_id is not None:
            await self.channel_layer.group_discard(events.conversation_group(self.conversation_id), self.channel_name)

    async def _follow_queue(self, queue_id: int | None) -> None:
        """Hear the ``queue.moved`` events of the queue the followed chat waits in (None: none)."""
        if queue_id == self.queue_followed:
            return
        if self.queue_followed is not None:
            await self.channel_layer.group_discard(events.queue_group(self.queue_followed), self.channel_name)
        self.queue_followed, self.queue_stamp = queue_id, 0
        if queue_id is not None:
            await self.channel_layer.group_add(events.queue_group(queue_id), self.channel_name)

    async def _follow_queue_of(self, frame: Frame) -> None:
        """A frame that says where the followed chat is also says which queue's moves it hears."""
        kind = frame.get("type")
        if frame.get("conversation_id") != self.conversation_id or self.conversation_id is None:
            return
        if kind in ("state", "queue.position"):
            position = frame.get("queue_position" if kind == "state" else "position")
            await self._follow_queue(frame.get("queue_id") if position else None)
        elif kind in ("assigned", "closed"):
            await self._follow_queue(None)

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
        await self._store_context()

    async def _check_mine(self, conversation_id: int) -> None:
        assert self.visitor_id is not None
        await database_sync_to_async(selectors.access_conversation_for_visitor)(
            visitor_id=self.visitor_id, conversation_id=conversation_id
        )

    def _check_rate(self, visitor_limit: str, ip_limit: str) -> None:
        """Count one try for this visitor and this address; over either limit, refuse in their language."""
        assert self.visitor_id is not None
        wait = throttle.hit_all(
            [
                (throttle.limit(visitor_limit), self.visitor_id),
                (throttle.limit(ip_limit), throttle.scope_ip(self.scope)),
            ]
        )
        if wait:
            with translation.override(shopper_language(self.language)):
                raise RateLimited(wait)

    async def _open(self, queue: str) -> int:
        """Open a conversation before the first message; the consultation takes the same path as on
        Telegram and VK (one per shopper, the open general chat handed over)."""
        assert self.visitor_id is not None
        if queue != "general":
            await sync_to_async(self._check_rate, thread_sensitive=False)("consultation_visitor", "consultation_ip")
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
    async def on_hello(self, frame: Hello) -> None:
        visitor_id = read_token(frame.token)
        self.language = frame.language
        previous, self.visitor_id = self.visitor_id, visitor_id
        if frame.queue is not None:
            await self._follow(await self._open(frame.queue), 0)
        else:
            wanted = frame.conversation_id
            if wanted is not None:
                await self._check_mine(wanted)
            else:
                wanted = await database_sync_to_async(selectors.current_conversation_id)(visitor_id)
            await self._follow(wanted, frame.last_id)
        if previous != visitor_id:  # after the state frame, which redraws the widget's log
            await self._follow_notices(previous, visitor_id)

    async def _follow_notices(self, previous: str | None, visitor_id: str) -> None:
        """Join the visitor's group first, then send what they have not seen: nothing falls between."""
        if previous is not None:
            await self.channel_layer.group_discard(notices.visitor_group(previous), self.channel_name)
        await self.channel_layer.group_add(notices.visitor_group(visitor_id), self.channel_name)
        for notice in await database_sync_to_async(notices.take_pending)(visitor_id):
            await self.send_json({"type": "order.notice", "notice": notice})

    async def on_open(self, frame: Open) -> None:
        await self._follow(await self._open(frame.queue), 0)

    async def on_message(self, frame: Message) -> None:
        assert self.visitor_id is not None
        client_id = frame.client_id
        wanted = frame.conversation_id
        if wanted is not None and wanted != self.conversation_id:
            await self._check_mine(wanted)
        # Over the limit the message is refused before anything is stored; the widget keeps the text.
        await sync_to_async(self._check_rate, thread_sensitive=False)("widget_message_visitor", "widget_message_ip")
        # A visitor may have a general chat and a consultation open: write where the socket looks.
        followed = self.conversation_id if self.following_open else None
        inbound = InboundMessage(
            connector=Connector.WIDGET,
            sender_id=self.visitor_id,
            text=frame.text,  # type: ignore[arg-type]  # any type: check_text refuses a non-string
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

    async def on_typing(self) -> None:
        now = time.monotonic()
        if self.conversation_id is None or now - self.last_typing_at < TYPING_MIN_INTERVAL_SECONDS:
            return
        self.last_typing_at = now
        operator_id = await database_sync_to_async(selectors.conversation_operator_id)(self.conversation_id)
        await events.relay_typing(conversation_id=self.conversation_id, author_kind="shopper", operator_id=operator_id)

    async def on_close(self) -> None:
        if self.conversation_id is None:
            raise InvalidInput("There is no conversation to close.")
        await database_sync_to_async(do_close)(conversation_id=self.conversation_id, by="shopper")

    async def on_position(self) -> None:
        if self.conversation_id is None:
            await self.send_json({"type": "queue.position", "conversation_id": None, **selectors.NOT_QUEUED})
            return
        await self.send_json(await database_sync_to_async(selectors.queue_position)(self.conversation_id))

    async def on_contact(self, frame: Contact) -> None:
        """The shopper would rather not wait: an email or phone to answer on, the chat kept queued."""
        assert self.visitor_id is not None
        if self.conversation_id is None or not self.following_open:
            raise InvalidInput("There is no open conversation to leave a contact for.")
        await database_sync_to_async(do_leave_contact_while_waiting)(
            connector=Connector.WIDGET,
            sender_id=self.visitor_id,
            conversation_id=self.conversation_id,
            name=frame.name,
            email=frame.email,
            phone=frame.phone,
        )
        await self.send_json({"type": "contact.saved", "conversation_id": self.conversation_id})

    async def on_context(self, frame: Context) -> None:
        """The page the shopper is on (and the rest of their context): kept for this socket and stored
        with the followed open conversation, now or as soon as there is one."""
        now = time.monotonic()
        while self.context_times and now - self.context_times[0] > 60:
            self.context_times.popleft()
        if len(self.context_times) >= CONTEXT_REPORTS_PER_MINUTE:
            raise RateLimited(int(61 - (now - self.context_times[0])))
        self.context_times.append(now)
        self.visitor_report = frame.report
        self.context_stored_for = None
        await self._store_context()

    async def _store_context(self) -> None:
        if self.visitor_report is None or self.conversation_id is None or not self.following_open:
            return
        if self.context_stored_for == self.conversation_id:
            return
        assert self.visitor_id is not None
        await database_sync_to_async(do_report_visitor_context)(
            connector=Connector.WIDGET,
            sender_id=self.visitor_id,
            conversation_id=self.conversation_id,
            report=self.visitor_report,
        )
        self.context_stored_for = self.conversation_id

    async def on_rate(self, frame: Rate) -> None:
        """1-5 stars and an optional comment for one of this visitor's closed chats."""
        assert self.visitor_id is not None
        conversation_id = frame.conversation_id or self.conversation_id
        if conversation_id is None:
            raise InvalidInput("There is no conversation to rate.")
        await self._check_mine(conversation_id)
        rated = await database_sync_to_async(feedback.rate)(
            visitor_id=self.visitor_id,
            conversation_id=conversation_id,
            stars=frame.stars,
            comment=frame.comment,
        )
        await self.send_json(rated)

    # --- chat.events -> frames -----------------------------------------------------------------
    async def event(self, message: dict[str, Any]) -> None:
        """``{"type": "event", "id", "kind", "payload"}`` from ``conversation.<id>``, as a frame."""
        kind, payload = message.get("kind"), message.get("payload") or {}
        if kind == "order.notice":
            await self._show_notice(payload)
            return
        frame = self._frame_for_event(kind, payload)
        if frame is not None:
            await self.send_json(frame)
        if kind == "conversation.queued" and self.conversation_id is not None:
            # Back in a queue: hear its moves from now on, then read the place once (nothing falls between).
            queue_id = payload.get("queue_id")
            await self._follow_queue(queue_id if isinstance(queue_id, int) else None)
            await self.on_position()

    def _place_from_queue_event(self, payload: dict[str, Any]) -> Frame | None:
        """The followed chat's place derived from its queue's move: the same frame as an asked-for
        position, with no database read. A chat past the head hears nothing (the widget asks)."""
        stamp = payload.get("stamp")
        if self.conversation_id is None or payload.get("queue_id") != self.queue_followed:
            return None
        if not isinstance(stamp, int) or stamp < self.queue_stamp:
            return None
        self.queue_stamp = stamp
        place = place_in_head(payload, self.conversation_id)
        if place is None:
            return None
        return {"type": "queue.position", "conversation_id": self.conversation_id, **place}

    async def _show_notice(self, payload: dict[str, Any]) -> None:
        """A notice for this visitor, shown here if no other widget of theirs showed it first."""
        notice_id = payload.get("id")
        if self.visitor_id is None or not isinstance(notice_id, int):
            return
        if await database_sync_to_async(notices.claim)(self.visitor_id, notice_id):
            await self.send_json({"type": "order.notice", "notice": payload})

    def _frame_for_event(self, kind: object, payload: dict[str, Any]) -> Frame | None:
        conversation_id = self.conversation_id
        if kind in ("message.new", "message.edited"):
            if payload.get("conversation_id") != conversation_id:
                return None
            if kind == "message.new" and payload.get("id") in self.sent_ids:
                # Already sent by the state replay, a catch-up or the acknowledgement: a broadcast that
                # arrives after them (it leaves the storing process after commit) would double it.
                return None
            return {"type": "message", "conversation_id": conversation_id, "message": payload}
        if kind == "conversation.assigned":
            return {
                "type": "assigned",
                "conversation_id": conversation_id,
                "operator_name": payload.get("operator_name", ""),
            }
        if kind == "queue.moved":
            return self._place_from_queue_event(payload)
        if kind == "queue.position":
            return {
                "type": "queue.position",
                "conversation_id": conversation_id,
                "queue_id": payload.get("queue_id"),
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
