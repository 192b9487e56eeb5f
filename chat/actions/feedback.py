"""The shopper's say after and around a chat: the 1-5 star rating and the stylist consultation.

Ratings are refused (with a message in the shopper's language) unless the conversation is closed,
an operator answered in it, the rater is its own shopper, no rating exists yet and the rating window
is still open. The rating is credited to the operator who last replied, which cannot change after close.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.datastructures import MultiValueDict

from chat import events
from chat.actions._common import now, retry_on_conflict
from chat.actions.assignment import do_assign_waiting, enqueue, release_slot
from chat.actions.conversations import publish_message
from chat.actions.inbound import InboundMessage, ensure_contact, open_conversation
from chat.actions.metrics_days import mark_changed
from chat.errors import AlreadyRated, Forbidden, InvalidForm, InvalidInput, NotFound, WrongState
from chat.feedback import (
    STYLIST_QUEUE,
    questionnaire_path,
    questionnaire_payload,
    questionnaire_url,
    rating_payload,
    rating_prompt_for,
    shopper_text,
)
from chat.models import (
    AuthorKind,
    Connector,
    Contact,
    Conversation,
    ConversationState,
    ConversationStep,
    Identity,
    Message,
    Operator,
    Questionnaire,
    Queue,
    Rating,
    StepKind,
)
from chat.questionnaire import QuestionnaireForm, answer_rows, sniff_image

logger = logging.getLogger(__name__)

COMMENT_MAX_CHARS = 2000
OPEN_STATES = (ConversationState.QUEUED, ConversationState.ACTIVE)
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
    if "\x00" in comment:
        raise InvalidInput(shopper_text("comment_empty", language))
    return comment


def _check_rateable(conversation: Conversation, *, connector: str, sender_id: str) -> None:
    language = conversation.language
    if not is_own_shopper(conversation, connector=connector, sender_id=sender_id):
        raise Forbidden(shopper_text("not_yours", language))
    if conversation.state != ConversationState.CLOSED or conversation.closed_at is None:
        raise WrongState(shopper_text("still_open", language))
    days = settings.SWITCHBOARD_RATING_WINDOW_DAYS
    if now() > conversation.closed_at + timedelta(days=days):
        raise WrongState(shopper_text("window_passed", language, days=days))


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
        _check_rateable(conversation, connector=connector, sender_id=sender_id)
        if Rating.objects.filter(conversation_id=conversation.pk).exists():
            raise AlreadyRated(shopper_text("already_rated", language))
        if conversation.last_replied_operator_id is None:
            raise WrongState(shopper_text("nothing_to_rate", language))
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
        _check_rateable(conversation, connector=connector, sender_id=sender_id)
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
    hears ``rating.requested``; Telegram and VK get their registered prompt (buttons).
    """
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if (
        conversation is None
        or conversation.state != ConversationState.CLOSED
        or conversation.last_replied_operator_id is None
        or Rating.objects.filter(conversation_id=conversation_id).exists()
    ):
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
    prompt = rating_prompt_for(conversation.connector)
    if prompt is not None:
        prompt(conversation.pk)
    return True


# --- Stylist consultation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Consultation:
    conversation: Conversation
    created: bool
    # Relative path (for the widget, same host) and absolute link (for Telegram and VK).
    questionnaire_path: str
    questionnaire_url: str


@retry_on_conflict
def do_start_consultation(*, connector: str, sender_id: str, name: str = "", language: str = "") -> Consultation:
    """The shopper's one consultation on this connector: the open one, their open chat handed over, or a new one.

    The widget button, Telegram's ``/stylist`` and VK's button all end here. The shopper's contact row
    is locked first, so presses racing from two tabs or a webhook retry find the same consultation
    instead of opening two. An open general chat is not left behind (its operator would be writing
    into a chat the shopper no longer follows): it moves to the stylist queue with its history and
    a system line, and leaves its operator's tabs. See docs/consultation.md.
    """
    if connector not in Connector.values:
        raise InvalidInput(f"Unknown connector {connector!r}.")
    with transaction.atomic():
        contact = ensure_contact(connector=connector, sender_id=str(sender_id), name=name, language=language)
        Contact.objects.select_for_update().filter(pk=contact.pk).first()  # one press at a time per shopper
        open_chats = list(
            Conversation.objects.select_for_update()
            .filter(contact=contact, connector=connector, state__in=OPEN_STATES)
            .order_by("-id")
        )
        stylist_queue_id = Queue.objects.filter(slug=STYLIST_QUEUE).values_list("pk", flat=True).first()
        if stylist_queue_id is None:
            raise NotFound(f"No queue {STYLIST_QUEUE!r}.")
        current = next((c for c in open_chats if c.queue_id == stylist_queue_id), None)
        created = False
        if current is not None:
            conversation = current
        elif open_chats:
            conversation = _hand_over_to_stylists(open_chats[0], stylist_queue_id)
        else:
            conversation, created = open_conversation(
                contact=contact, connector=connector, queue_slug=STYLIST_QUEUE, language=language
            )
            events.emit_to_conversation(conversation.pk, "conversation.opened", {"conversation_id": conversation.pk})
    return Consultation(
        conversation=conversation,
        created=created,
        questionnaire_path=questionnaire_path(conversation.pk),
        questionnaire_url=questionnaire_url(conversation.pk),
    )


def _hand_over_to_stylists(conversation: Conversation, stylist_queue_id: int) -> Conversation:
    """Move the shopper's open chat (locked by the caller) to the stylist queue, history and all.

    The operator holding it gets their slot back and loses the tab; the chat joins the stylist queue
    as a new arrival there, and a system line in the shopper's language says what happened.
    """
    at = now()
    source_id = conversation.operator_id
    mark_changed(conversation, every_day_since=True)  # the queue the chat's time counts for changes
    if source_id is not None:
        release_slot(source_id)
    conversation.queue_id = stylist_queue_id
    conversation.response_clock_at = at if conversation.first_shopper_message_at else None
    conversation.first_response_at = None
    conversation.save(update_fields=["queue", "response_clock_at", "first_response_at"])
    ConversationStep.objects.create(
        conversation=conversation, kind=StepKind.TRANSFERRED, at=at, queue_id=stylist_queue_id, note="consultation"
    )
    line = Message.objects.create(
        conversation=conversation,
        connector=conversation.connector,
        author_kind=AuthorKind.SYSTEM,
        text=shopper_text("consultation_handover", conversation.language),
        created_at=at,
    )
    if source_id is not None:
        events.emit(
            "conversation.removed",
            {"conversation_id": conversation.pk, "why": "consultation"},
            audiences=[events.operator_group(source_id)],
        )
    enqueue(conversation)  # notifies the staff, then assigns a stylist after commit
    publish_message(line, conversation)
    if source_id is not None:
        transaction.on_commit(do_assign_waiting, robust=True)  # the freed slot may serve the general queue
    return conversation


def check_questionnaire(
    data: Mapping[str, Any], files: Mapping[str, UploadedFile] | None, language: str
) -> QuestionnaireForm:
    """Validate the answers; refuse them all with every field's message if any is wrong."""
    if files is not None and not isinstance(files, MultiValueDict):
        files = MultiValueDict({key: [value] for key, value in files.items()})
    form = QuestionnaireForm(data, files, language=language)
    if not form.is_valid():
        errors = {field: [str(e) for e in messages] for field, messages in form.errors.items()}
        raise InvalidForm(errors)
    return form


@retry_on_conflict
def do_submit_questionnaire(
    *,
    conversation_id: int,
    data: Mapping[str, Any],
    files: Mapping[str, UploadedFile] | None = None,
    language: str | None = None,
) -> Questionnaire:
    """Store the consultation's answers (again, if the shopper corrects them while it is open).

    The stylist sees a note in the chat and the answers in the customer panel at once.
    """
    conversation = Conversation.objects.select_related("queue").filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFound("No such conversation.")
    language = language or conversation.language
    if conversation.queue.slug != STYLIST_QUEUE:
        raise WrongState("This conversation is not a stylist consultation.")
    form = check_questionnaire(data, files, language)
    with transaction.atomic():
        conversation = _lock(conversation_id)
        if conversation.state == ConversationState.CLOSED:
            raise WrongState(shopper_text("consultation_closed", language))
        at = now()
        questionnaire, _ = Questionnaire.objects.select_for_update().get_or_create(conversation=conversation)
        questionnaire.answers = form.answers()
        questionnaire.submitted_at = at
        photo: UploadedFile | None = form.cleaned_data.get("photo")
        if photo:
            sniffed = sniff_image(photo)
            extension = sniffed[1] if sniffed else "bin"
            questionnaire.photo.save(f"photo-{int(at.timestamp())}.{extension}", ContentFile(photo.read()), save=False)
        questionnaire.save()
        mark_changed(conversation)
        note = Message.objects.create(
            conversation=conversation,
            connector=conversation.connector,
            author_kind=AuthorKind.SYSTEM,
            text="Questionnaire submitted: the answers are in the customer panel.",
            is_note=True,
            created_at=at,
        )
        publish_message(note, conversation)
        payload = {
            **questionnaire_payload(questionnaire),
            "rows": answer_rows(questionnaire.answers, "en"),
            "rows_ru": answer_rows(questionnaire.answers, "ru"),
        }
        audiences = [events.operator_group(conversation.operator_id)] if conversation.operator_id else [events.STAFF]
        events.emit("questionnaire.submitted", payload, audiences=audiences)
        events.emit_to_conversation(
            conversation.pk,
            "questionnaire.submitted",
            {"conversation_id": conversation.pk, "text": shopper_text("questionnaire_received", language)},
        )
        return questionnaire
