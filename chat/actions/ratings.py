"""The shopper's 1-5 star rating after a chat: when it is due, recording it, its comment, its review.

The rule "is a rating due" lives in :func:`rating_refusal` alone: the conversation is closed, inside
the rating window, not rated yet, and an operator answered in it. Asking for stars after close, the
widget's frames on a reconnect and recording the stars all ask it. A rating is taken only from the
conversation's own shopper and is credited to the operator who last replied, which cannot change
after close. Every connector records stars through :func:`do_rate_conversation`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction

from chat import events
from chat.actions._common import now, retry_on_conflict
from chat.actions.metrics_days import mark_changed
from chat.errors import AlreadyRated, ChatError, Forbidden, InvalidInput, NotFound, WrongState
from chat.models import Contact, Conversation, ConversationState, Identity, Operator, Rating
from chat.payloads import rating_payload
from chat.registry import entry_for
from chat.texts import shopper_text
from chat.untrusted import unstorable_reason


class InboundMessage(Protocol):
    """What a rating comment needs of a shopper's message (chat.actions.inbound.InboundMessage)."""

    @property
    def connector(self) -> str: ...
    @property
    def sender_id(self) -> str: ...
    @property
    def text(self) -> str: ...


logger = logging.getLogger(__name__)

COMMENT_MAX_CHARS = 2000
FLAG_AT_MOST_STARS = 2


def _root_contact_id(contact_id: int) -> int:
    """The contact a merged one now lives in: a shopper keeps their chats after a merge."""
    seen: set[int] = set()
    while contact_id not in seen:
        seen.add(contact_id)
        merged_into = Contact.objects.filter(pk=contact_id).values_list("merged_into_id", flat=True).first()
        if not merged_into:
            break
        contact_id = merged_into
    return contact_id


def is_own_shopper(conversation: Conversation, *, connector: str, sender_id: str) -> bool:
    """Whether this connector identity is the conversation's shopper (directly or through a merge)."""
    contact_id = (
        Identity.objects.filter(connector=connector, external_id=str(sender_id))
        .values_list("contact_id", flat=True)
        .first()
    )
    if contact_id is None:
        return False
    return _root_contact_id(contact_id) == _root_contact_id(conversation.contact_id)


def _lock(conversation_id: int) -> Conversation:
    try:
        return Conversation.objects.select_for_update().get(pk=conversation_id)
    except Conversation.DoesNotExist as exc:
        raise NotFound("No such conversation.") from exc


def check_stars(stars: object, language: str) -> int:
    if isinstance(stars, bool) or not isinstance(stars, int | str):
        raise InvalidInput(shopper_text("stars_range", language))
    try:
        value = int(stars)
    except ValueError as exc:
        raise InvalidInput(shopper_text("stars_range", language)) from exc
    if not 1 <= value <= 5:
        raise InvalidInput(shopper_text("stars_range", language))
    return value


def check_comment(comment: object, language: str) -> str:
    """The comment is stored exactly as written; only its type, length and NULs are checked."""
    if not isinstance(comment, str):
        raise InvalidInput(shopper_text("comment_empty", language))
    if len(comment) > COMMENT_MAX_CHARS:
        raise InvalidInput(shopper_text("comment_too_long", language, limit=COMMENT_MAX_CHARS))
    if unstorable_reason(comment):
        raise InvalidInput(shopper_text("comment_empty", language))
    return comment


def _closed_recently(conversation: Conversation) -> ChatError | None:
    """Why a closed chat's rating (or its comment) is refused by time: still open, or past the window."""
    language = conversation.language
    if conversation.state != ConversationState.CLOSED or conversation.closed_at is None:
        return WrongState(shopper_text("still_open", language))
    days = settings.SWITCHBOARD_RATING_WINDOW_DAYS
    if now() > conversation.closed_at + timedelta(days=days):
        return WrongState(shopper_text("window_passed", language, days=days))
    return None


def rating_refusal(conversation: Conversation) -> ChatError | None:
    """Why no rating is due for this conversation (the error to raise), or None when one is."""
    refusal = _closed_recently(conversation)
    if refusal is not None:
        return refusal
    if Rating.objects.filter(conversation_id=conversation.pk).exists():
        return AlreadyRated(shopper_text("already_rated", conversation.language))
    if conversation.last_replied_operator_id is None:
        return WrongState(shopper_text("nothing_to_rate", conversation.language))
    return None


def rating_is_due(conversation: Conversation) -> bool:
    """Closed with an operator's answer, not yet rated, still inside the rating window."""
    return rating_refusal(conversation) is None


def _check_own_shopper(conversation: Conversation, *, connector: str, sender_id: str) -> None:
    if not is_own_shopper(conversation, connector=connector, sender_id=sender_id):
        raise Forbidden(shopper_text("not_yours", conversation.language))


def _rating_audiences(rating: Rating) -> list[str]:
    audiences = [events.MANAGERS]
    if rating.operator_id:
        audiences.insert(0, events.operator_group(rating.operator_id))
    return audiences


@retry_on_conflict
def do_rate_conversation(
    *, conversation_id: int, connector: str, sender_id: str, stars: object, comment: str = ""
) -> Rating:
    """The shopper gives 1-5 stars (and maybe a comment) once; 1-2 stars flag the chat for managers."""
    with transaction.atomic():
        conversation = _lock(conversation_id)
        language = conversation.language
        value = check_stars(stars, language)
        text = check_comment(comment, language)
        _check_own_shopper(conversation, connector=connector, sender_id=sender_id)
        if (refusal := rating_refusal(conversation)) is not None:
            raise refusal
        at = now()
        try:
            with transaction.atomic():
                rating = Rating.objects.create(
                    conversation=conversation,
                    stars=value,
                    comment=text,
                    commented_at=at if text.strip() else None,
                    operator_id=conversation.last_replied_operator_id,
                    created_at=at,
                    flagged=value <= FLAG_AT_MOST_STARS,
                )
        except IntegrityError as exc:  # pragma: no cover - the row lock above already serialises
            raise AlreadyRated(shopper_text("already_rated", language)) from exc
        mark_changed(conversation)
        events.emit("conversation.rated", rating_payload(rating), audiences=_rating_audiences(rating))
        events.emit_to_conversation(conversation.pk, "conversation.rated", {"stars": value})
        return rating


@retry_on_conflict
def do_comment_rating(*, conversation_id: int, connector: str, sender_id: str, comment: str) -> Rating:
    """The optional comment after the stars (Telegram and VK ask for it in a second step)."""
    with transaction.atomic():
        conversation = _lock(conversation_id)
        language = conversation.language
        text = check_comment(comment, language)
        if not text.strip():
            raise InvalidInput(shopper_text("comment_empty", language))
        _check_own_shopper(conversation, connector=connector, sender_id=sender_id)
        if (refusal := _closed_recently(conversation)) is not None:
            raise refusal
        rating = Rating.objects.select_for_update().filter(conversation_id=conversation.pk).first()
        if rating is None:
            raise WrongState(shopper_text("rate_prompt", language))
        if rating.commented_at is not None:
            raise AlreadyRated(shopper_text("already_commented", language))
        rating.comment = text
        rating.commented_at = now()
        rating.save(update_fields=["comment", "commented_at"])
        events.emit("rating.commented", rating_payload(rating), audiences=_rating_audiences(rating))
        return rating


def rating_awaiting_comment(*, connector: str, sender_id: str) -> Rating | None:
    """The rating this shopper just gave on this connector, if their next message is its comment.

    Only right after the stars (SWITCHBOARD_RATING_COMMENT_MINUTES), only once, and only while they
    have no open chat on the connector: otherwise their message is a message.
    """
    identity = Identity.objects.filter(connector=connector, external_id=str(sender_id)).first()
    if identity is None:
        return None
    contact_id = _root_contact_id(identity.contact_id)
    latest = Conversation.objects.filter(contact_id=contact_id, connector=connector).order_by("-id").first()
    if latest is None or latest.state != ConversationState.CLOSED:
        return None
    since = now() - timedelta(minutes=settings.SWITCHBOARD_RATING_COMMENT_MINUTES)
    return Rating.objects.filter(conversation=latest, commented_at__isnull=True, created_at__gte=since).first()


def do_take_rating_comment(inbound: InboundMessage) -> Rating | None:
    """For Telegram and VK: store the shopper's text as their rating comment if one is awaited.

    Returns the rating when the text became its comment (the connector then thanks the shopper and
    does not pass the text on as a message), or None when it is an ordinary message.
    """
    if not inbound.text.strip() or inbound.text.startswith("/"):
        return None
    rating = rating_awaiting_comment(connector=inbound.connector, sender_id=inbound.sender_id)
    if rating is None:
        return None
    try:
        return do_comment_rating(
            conversation_id=rating.conversation_id,
            connector=inbound.connector,
            sender_id=inbound.sender_id,
            comment=inbound.text,
        )
    except AlreadyRated:
        return None


def do_review_rating(*, conversation_id: int, operator_id: int) -> Rating:
    """A manager has looked at a flagged rating: it leaves the list of ratings to review."""
    with transaction.atomic():
        operator = Operator.objects.filter(pk=operator_id).first()
        if operator is None:
            raise NotFound("No such operator.")
        if not operator.is_manager:
            raise Forbidden("Only a manager reviews ratings.")
        rating = Rating.objects.select_for_update().filter(conversation_id=conversation_id).first()
        if rating is None:
            raise NotFound("This conversation has no rating.")
        if rating.reviewed_at is None:
            rating.reviewed_at = now()
            rating.save(update_fields=["reviewed_at"])
            events.emit("rating.reviewed", rating_payload(rating), audiences=[events.MANAGERS])
        return rating


def do_request_rating(*, conversation_id: int) -> bool:
    """Ask the shopper for stars on their connector; runs after the close commits.

    Only a chat an operator answered is rated (the rating response rate counts those). The widget
    hears ``rating.requested``; Telegram and VK get their registry entry's prompt (buttons).
    """
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None or not rating_is_due(conversation):
        return False
    events.emit_to_conversation(
        conversation.pk,
        "rating.requested",
        {
            "conversation_id": conversation.pk,
            "prompt": shopper_text("rate_prompt", conversation.language),
            "window_days": settings.SWITCHBOARD_RATING_WINDOW_DAYS,
        },
    )
    prompt = entry_for(conversation.connector).prompt_rating
    if prompt is not None:
        prompt(conversation.pk)
    return True


def schedule_rating_request(conversation_id: int) -> None:
    """Called inside ``do_close``: ask for the rating once the close has committed.

    ``robust``: a connector failing to send the prompt must not turn a committed close into an error.
    """
    transaction.on_commit(lambda: do_request_rating(conversation_id=conversation_id), robust=True)
