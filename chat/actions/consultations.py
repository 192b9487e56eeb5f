"""The stylist consultation: one per shopper and connector, and its questionnaire.

Every connector starts one through :func:`do_start_consultation` (the widget's button, Telegram's
``/stylist``, VK's keyboard button): it locks the shopper's contact row first, so presses racing from
two tabs or a webhook retry find the same consultation. The questionnaire is checked by one form
(``chat.questionnaire``) whichever way it arrives. See docs/consultation.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.datastructures import MultiValueDict

from chat import events
from chat.actions._common import now, retry_on_conflict
from chat.actions.assignment import do_assign_waiting, enqueue, release_slot
from chat.actions.conversations import publish_message
from chat.actions.inbound import ensure_contact, open_conversation
from chat.actions.metrics_days import mark_changed
from chat.errors import InvalidForm, InvalidInput, NotFound, WrongState
from chat.models import (
    AuthorKind,
    Connector,
    Contact,
    Conversation,
    ConversationState,
    ConversationStep,
    Message,
    Questionnaire,
    Queue,
    StepKind,
)
from chat.payloads import questionnaire_payload
from chat.questionnaire import QuestionnaireForm, answer_rows, sniff_image
from chat.registry import questionnaire_link
from chat.texts import shopper_text

STYLIST_QUEUE = "stylist"
OPEN_STATES = (ConversationState.QUEUED, ConversationState.ACTIVE)


def _lock(conversation_id: int) -> Conversation:
    try:
        return Conversation.objects.select_for_update().get(pk=conversation_id)
    except Conversation.DoesNotExist as exc:
        raise NotFound("No such conversation.") from exc


@dataclass(frozen=True)
class Consultation:
    conversation: Conversation
    created: bool
    # The questionnaire's link as the shopper's connector opens it (``chat.registry``): a path for
    # the widget (same host), an absolute URL on Telegram and VK.
    questionnaire_link: str


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
        questionnaire_link=questionnaire_link(connector, conversation.pk),
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
