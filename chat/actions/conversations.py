"""What operators and shoppers do to a conversation once it exists: reply, note, transfer, close."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import translation

from chat import events
from chat.actions._common import FileContent, check_text, now, retry_on_conflict, store_files
from chat.actions.assignment import do_assign_waiting, enqueue, publish_queue_positions, release_slot, take_slot
from chat.actions.delivery import needs_delivery, schedule_delivery
from chat.actions.message_rows import message_audiences
from chat.actions.metrics_days import mark_changed
from chat.actions.ratings import schedule_rating_request
from chat.actions.system_lines import post_system_line, shopper_language
from chat.errors import (
    ConversationClosed,
    Forbidden,
    InvalidInput,
    InvalidReason,
    NotFound,
    OperatorUnavailable,
    WrongState,
)
from chat.models import (
    NO_FIRST_REPLY,
    AuthorKind,
    Connector,
    Conversation,
    ConversationState,
    ConversationStep,
    DeliveryState,
    Message,
    Operator,
    OperatorStatus,
    Queue,
    Reason,
    StepKind,
)
from chat.payloads import conversation_payload, message_payload


def _lock_conversation(conversation_id: int) -> Conversation:
    try:
        return Conversation.objects.select_for_update().get(pk=conversation_id)
    except Conversation.DoesNotExist as exc:
        raise NotFound("No such conversation.") from exc


def _get_operator(operator_id: int) -> Operator:
    try:
        return Operator.objects.get(pk=operator_id)
    except Operator.DoesNotExist as exc:
        raise NotFound("No such operator.") from exc


def publish_message(message: Message, conversation: Conversation) -> None:
    """Tell the assigned operator (and, unless it is a note, the shopper's widget) after commit."""
    message._known_attachments = False  # type: ignore[attr-defined]
    publish_stored_message(message, conversation)


def publish_stored_message(message: Message, conversation: Conversation, kind: str = "message.new") -> None:
    events.emit(kind, message_payload(message), audiences=message_audiences(conversation.operator_id))
    if not message.is_note:
        events.emit_to_conversation(conversation.pk, kind, message_payload(message, for_shopper=True))


def _initial_delivery_state(conversation: Conversation, is_note: bool) -> str:
    if is_note:
        return DeliveryState.NONE
    return DeliveryState.PENDING if needs_delivery(conversation) else DeliveryState.SENT


@retry_on_conflict
def do_operator_reply(
    *,
    conversation_id: int,
    operator_id: int,
    text: str,
    is_note: bool = False,
    files: Sequence[FileContent] = (),
) -> Message:
    """An operator writes in their active chat: a reply to the shopper, or a private note; with
    ``files`` (already within the limits, see chat.files.check_file) the text may be empty, and the
    files go to the shopper's channel with it (Telegram/VK as photos or documents)."""
    check_text(text, allow_empty=bool(files))
    if not text and not files:
        raise InvalidInput("The message is empty.")
    with transaction.atomic():
        conversation = _lock_conversation(conversation_id)
        operator = _get_operator(operator_id)
        if conversation.state == ConversationState.CLOSED and not is_note:
            raise ConversationClosed()
        if conversation.operator_id != operator.pk and not (is_note and operator.is_manager):
            raise Forbidden()
        at = now()
        message = Message.objects.create(
            conversation=conversation,
            connector=conversation.connector,
            author_kind=AuthorKind.OPERATOR,
            author=operator,
            text=text,
            is_note=is_note,
            created_at=at,
            delivery_state=_initial_delivery_state(conversation, is_note),
        )
        store_files(message, files)
        if not files:
            message._known_attachments = False  # type: ignore[attr-defined]
        if not is_note:
            fields = ["last_operator_reply_at", "last_replied_operator"]
            conversation.last_operator_reply_at = at
            conversation.last_replied_operator = operator
            if conversation.first_response_at is None and conversation.response_clock_at is not None:
                conversation.first_response_at = at
                fields.append("first_response_at")
            conversation.save(update_fields=fields)
            mark_changed(conversation)
            if message.delivery_state == DeliveryState.PENDING:
                schedule_delivery(message.pk)
        publish_stored_message(message, conversation)
        return message


@retry_on_conflict
def do_transfer(
    *,
    conversation_id: int,
    actor_operator_id: int,
    to_operator_id: int | None = None,
    to_queue_id: int | None = None,
) -> Conversation:
    """Hand an active chat to another operator or back to a queue, keeping its history."""
    if (to_operator_id is None) == (to_queue_id is None):
        raise InvalidInput("Transfer to exactly one of: an operator or a queue.")
    with transaction.atomic():
        conversation = _lock_conversation(conversation_id)
        actor = _get_operator(actor_operator_id)
        if conversation.state == ConversationState.CLOSED:
            raise ConversationClosed()
        if conversation.state != ConversationState.ACTIVE:
            raise WrongState("Only an active chat can be transferred.")
        if conversation.operator_id != actor.pk and not actor.is_manager:
            raise Forbidden()
        source_id = conversation.operator_id
        if source_id is None:  # an active chat always has its operator
            raise WrongState("Only an active chat can be transferred.")
        at = now()
        # A queue change rescopes the time the chat was held on every day since it opened.
        mark_changed(conversation, every_day_since=to_queue_id is not None)
        if to_operator_id is not None:
            target = _get_operator(to_operator_id)
            if target.pk == source_id:
                raise InvalidInput("The chat is already with this operator.")
            queue = Queue.objects.get(pk=conversation.queue_id)
            if not target.skills.filter(pk=queue.skill_id).exists():
                raise OperatorUnavailable(f"{target.display_name} does not serve the {queue.name} queue.")
            if target.status != OperatorStatus.ONLINE or not take_slot(target.pk):
                raise OperatorUnavailable()
            release_slot(source_id)
            conversation.operator_id = target.pk
            # A transfer restarts the first-response clock: the new operator owes a first reply.
            conversation.response_clock_at = at
            conversation.first_response_at = None
            conversation.save(update_fields=["operator", "response_clock_at", "first_response_at"])
            ConversationStep.objects.create(
                conversation=conversation, kind=StepKind.TRANSFERRED, at=at, operator=target, actor=actor.user
            )
            conversation = Conversation.objects.select_related("contact", "queue", "operator").get(pk=conversation.pk)
            post_system_line(
                conversation, "transferred_to_operator", source=actor.display_name, target=target.display_name
            )
            events.emit(
                "conversation.assigned",
                conversation_payload(conversation),
                audiences=[events.operator_group(target.pk)],
            )
            events.emit_to_conversation(
                conversation.pk, "conversation.assigned", {"operator_name": target.display_name}
            )
        else:
            assert to_queue_id is not None  # exactly one of the two, checked above
            try:
                queue = Queue.objects.get(pk=to_queue_id)
            except Queue.DoesNotExist as exc:
                raise NotFound("No such queue.") from exc
            release_slot(source_id)
            conversation.queue = queue
            conversation.response_clock_at = at
            conversation.first_response_at = None
            conversation.save(update_fields=["queue", "response_clock_at", "first_response_at"])
            ConversationStep.objects.create(
                conversation=conversation, kind=StepKind.TRANSFERRED, at=at, queue=queue, actor=actor.user
            )
            with translation.override(shopper_language(conversation)):
                queue_name = queue.localized_name()
            post_system_line(conversation, "transferred_to_queue", source=actor.display_name, queue=queue_name)
            enqueue(conversation, queued_at_kept=True)
        events.emit(
            "conversation.removed",
            {"conversation_id": conversation.pk, "why": "transferred"},
            audiences=[events.operator_group(source_id)],
        )
        transaction.on_commit(do_assign_waiting, robust=True)
        return conversation


@retry_on_conflict
def do_requeue_without_first_reply(*, conversation_id: int, operator_id: int) -> bool:
    """The operator let the first reply time out: the chat goes back to the head of the queue for
    the next operator, with a line saying so. False when it changed meanwhile (replied, moved, closed)."""
    with transaction.atomic():
        conversation = _lock_conversation(conversation_id)
        if (
            conversation.state != ConversationState.ACTIVE
            or conversation.operator_id != operator_id
            or conversation.first_response_at is not None
        ):
            return False
        operator = _get_operator(operator_id)
        release_slot(operator_id)
        conversation.passed_over_operator_id = operator_id
        conversation.save(update_fields=["passed_over_operator"])
        mark_changed(conversation)
        post_system_line(conversation, "requeued_no_reply", source=operator.display_name)
        enqueue(conversation, queued_at_kept=True, note=NO_FIRST_REPLY)
        events.emit(
            "conversation.removed",
            {"conversation_id": conversation.pk, "why": "requeued"},
            audiences=[events.operator_group(operator_id)],
        )
        return True


def do_requeue_unanswered_chats() -> list[int]:
    """Requeue every active chat whose operator owes a first reply longer than its queue allows
    (``Queue.first_reply_timeout_seconds``; empty: off). The clock starts when the operator got the
    chat, or when the shopper first wrote if that was later."""
    at = now()
    held_since = (
        ConversationStep.objects.filter(
            conversation=OuterRef("pk"),
            kind__in=[StepKind.ASSIGNED, StepKind.TRANSFERRED],
            operator_id=OuterRef("operator_id"),
        )
        .order_by("-at")
        .values("at")[:1]
    )
    owing = (
        Conversation.objects.filter(
            state=ConversationState.ACTIVE,
            first_response_at__isnull=True,
            response_clock_at__isnull=False,
            queue__first_reply_timeout_seconds__isnull=False,
        )
        .annotate(held_since=Subquery(held_since))
        .values_list("pk", "operator_id", "held_since", "response_clock_at", "queue__first_reply_timeout_seconds")
    )
    requeued = []
    for pk, operator_id, held, clock, timeout in owing:
        if clock is None or timeout is None or operator_id is None:  # the filter leaves none; for the types
            continue
        started = max(held or clock, clock)
        if (at - started).total_seconds() >= timeout and do_requeue_without_first_reply(
            conversation_id=pk, operator_id=operator_id
        ):
            requeued.append(pk)
    return requeued


def check_reason(reason_id: int | None) -> Reason:
    if reason_id is None:
        raise InvalidReason()
    reason = Reason.objects.filter(pk=reason_id).first()
    if reason is None:
        raise InvalidReason("That contact reason is not in the list.")
    if not reason.is_active:
        raise InvalidReason("That contact reason is retired; choose one in use.")
    return reason


@retry_on_conflict
def do_close(
    *,
    conversation_id: int,
    operator_id: int | None = None,
    reason_id: int | None = None,
    by: str = "operator",
    only_if_queued: bool = False,
) -> Conversation:
    """Close a chat. An operator must give exactly one reason; a shopper or the system may not.

    ``only_if_queued`` closes it only while still queued (abandoning a silent shopper must not
    close a chat an operator took a moment ago)."""
    if by not in ("operator", "shopper", "system"):
        raise InvalidInput("Closed by operator, shopper or system.")
    with transaction.atomic():
        conversation = _lock_conversation(conversation_id)
        if conversation.state == ConversationState.CLOSED:
            raise ConversationClosed()
        if only_if_queued and conversation.state != ConversationState.QUEUED:
            raise WrongState("The chat is no longer queued.")
        actor: Operator | None = None
        reason: Reason | None = None
        if by == "operator":
            if operator_id is None:
                raise InvalidInput("An operator closes the chat.")
            actor = _get_operator(operator_id)
            if conversation.operator_id != actor.pk and not actor.is_manager:
                raise Forbidden()
            reason = check_reason(reason_id)
        elif reason_id is not None:
            reason = check_reason(reason_id)
        at = now()
        previous_operator = conversation.operator_id
        was_queued = conversation.state == ConversationState.QUEUED
        # Nobody ever answered and the shopper did not leave by choice: say why, offer a message.
        unanswered = by != "shopper" and conversation.last_operator_reply_at is None
        if unanswered:
            nobody_online = not Operator.objects.filter(
                status=OperatorStatus.ONLINE, skills__queues__id=conversation.queue_id
            ).exists()
            post_system_line(conversation, "closed_nobody_online" if nobody_online else "closed_unanswered")
        elif by == "shopper":
            post_system_line(conversation, "closed_by_shopper")
        elif actor is not None:
            post_system_line(conversation, "closed_by_operator", source=actor.display_name)
        else:
            post_system_line(conversation, "closed_by_system")
        if conversation.state == ConversationState.ACTIVE and previous_operator:
            release_slot(previous_operator)
        conversation.state = ConversationState.CLOSED
        conversation.closed_at = at
        conversation.closed_by = actor.user if actor else None
        conversation.closed_by_kind = by
        conversation.reason = reason
        fields = ["state", "closed_at", "closed_by", "closed_by_kind", "reason"]
        if was_queued:
            # The shopper left before anyone took the chat.
            conversation.abandoned_at = at
            fields.append("abandoned_at")
        conversation.save(update_fields=fields)
        mark_changed(conversation)
        ConversationStep.objects.create(
            conversation=conversation,
            kind=StepKind.ABANDONED if was_queued else StepKind.CLOSED,
            at=at,
            operator_id=previous_operator,
            actor=actor.user if actor else None,
        )
        payload = {"conversation_id": conversation.pk, "by": by, "reason_id": reason.pk if reason else None}
        audiences = [events.STAFF]
        if previous_operator:
            audiences.append(events.operator_group(previous_operator))
        events.emit("conversation.closed", payload, audiences=audiences)
        events.emit_to_conversation(conversation.pk, "conversation.closed", {"by": by, "unanswered": unanswered})
        if was_queued:
            # No slot freed; everyone behind the chat moved up one.
            queue_id = conversation.queue_id
            transaction.on_commit(lambda: publish_queue_positions([queue_id]), robust=True)
        else:
            transaction.on_commit(do_assign_waiting, robust=True)
        schedule_rating_request(conversation.pk)
        return conversation


def do_set_reason(*, conversation_id: int, operator_id: int, reason_id: int) -> Conversation:
    """Tag a closed chat that has no reason yet (the shopper closed it)."""
    with transaction.atomic():
        conversation = _lock_conversation(conversation_id)
        operator = _get_operator(operator_id)
        if conversation.state != ConversationState.CLOSED:
            raise WrongState("Close the chat to give its reason.")
        if conversation.operator_id != operator.pk and not operator.is_manager:
            raise Forbidden()
        conversation.reason = check_reason(reason_id)
        conversation.save(update_fields=["reason"])
        mark_changed(conversation)
        return conversation


def do_edit_inbound(*, connector: str, external_id: str, text: str) -> Message | None:
    """The shopper edited a message on their connector: update the stored text, mark it edited."""
    check_text(text, allow_empty=True)
    if connector not in Connector.values:
        raise InvalidInput("Unknown connector.")
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .select_related("conversation")
            .filter(connector=connector, external_id=external_id)
            .first()
        )
        if message is None:
            return None
        message.text = text
        message.edited_at = now()
        message.save(update_fields=["text", "edited_at"])
        publish_stored_message(message, message.conversation, kind="message.edited")
        return message
