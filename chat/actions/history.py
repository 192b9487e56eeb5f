"""A manager goes back to a closed conversation: reopens it, or writes to the shopper again.

Both take one of the manager's slots with the same conditional UPDATE as assignment (``take_slot``),
so the cap holds here too: at the cap the action is refused and nothing is written. Both lock the
contact first and then the conversation, the order the inbound path uses, so a shopper writing at
the same moment either finds the reopened chat or makes the action refuse (the shopper has an open
chat on that connector), never a second open chat beside it. See docs/history.md.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from chat import events
from chat.actions._common import check_text, now, retry_on_conflict
from chat.actions.assignment import take_slot
from chat.actions.conversations import publish_message
from chat.actions.delivery import needs_delivery, schedule_delivery
from chat.actions.metrics_days import mark_changed
from chat.actions.system_lines import post_system_line
from chat.errors import AtChatLimit, Forbidden, NotFound, OperatorUnavailable, WrongState
from chat.models import (
    AuthorKind,
    Connector,
    Contact,
    Conversation,
    ConversationState,
    ConversationStep,
    DeliveryState,
    Message,
    Operator,
    OperatorStatus,
    StepKind,
)
from chat.payloads import conversation_payload

# ConversationStep.note of the assignment that reopened a chat, and of a chat a manager started.
REOPENED = "reopened"
WRITTEN_AGAIN = "written_again"


def _manager(operator_id: int) -> Operator:
    operator = Operator.objects.filter(pk=operator_id).first()
    if operator is None:
        raise NotFound("No such operator.")
    if not operator.is_manager:
        raise Forbidden(_("Only a manager may do this."))
    return operator


def _root_contact(contact_id: int) -> Contact:
    """The contact a merged one was merged into (what the inbound path writes to), locked."""
    contact = Contact.objects.select_for_update().get(pk=contact_id)
    while contact.merged_into_id:
        contact = Contact.objects.select_for_update().get(pk=contact.merged_into_id)
    return contact


def _lock_closed(conversation_id: int) -> tuple[Conversation, Contact]:
    """The closed, unerased conversation and its customer's root contact, the contact locked first
    (the inbound path's order)."""
    contact_id = Conversation.objects.filter(pk=conversation_id).values_list("contact_id", flat=True).first()
    if contact_id is None:
        raise NotFound("No such conversation.")
    contact = _root_contact(contact_id)
    conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
    if conversation.state != ConversationState.CLOSED:
        raise WrongState(_("Only a closed conversation can be reopened or written to again."))
    if conversation.erased_at is not None:
        raise WrongState(_("This customer's data was erased: there is nobody to write to."))
    open_chat = (
        Conversation.objects.filter(
            contact_id__in=[contact.pk, conversation.contact_id],
            connector=conversation.connector,
            state__in=[ConversationState.QUEUED, ConversationState.ACTIVE],
        )
        .values_list("pk", flat=True)
        .first()
    )
    if open_chat is not None:
        raise WrongState(
            _("The customer already has an open chat on this connector (#%(id)s): answer there.") % {"id": open_chat}
        )
    return conversation, contact


def _take_manager_slot(manager: Operator) -> None:
    if manager.status != OperatorStatus.ONLINE:
        raise OperatorUnavailable(_("Go online first: the chat will be yours."))
    if not take_slot(manager.pk):
        raise AtChatLimit(
            _("You are at your chat limit (%(cap)s): close one of your chats first.") % {"cap": manager.effective_cap}
        )


def _announce(conversation: Conversation, manager: Operator) -> None:
    conversation = Conversation.objects.select_related("contact", "queue", "operator").get(pk=conversation.pk)
    events.emit(
        "conversation.assigned", conversation_payload(conversation), audiences=[events.operator_group(manager.pk)]
    )
    events.emit_to_conversation(conversation.pk, "conversation.assigned", {"operator_name": manager.display_name})


@retry_on_conflict
def do_reopen_conversation(*, conversation_id: int, operator_id: int) -> Conversation:
    """A manager reopens a closed chat: it is active again, theirs, with its transcript and a line
    telling the shopper (sent on Telegram and VK like a reply). Its close and reason are cleared;
    the next close gives a reason again."""
    with transaction.atomic():
        manager = _manager(operator_id)
        conversation, _contact = _lock_closed(conversation_id)
        _take_manager_slot(manager)
        at = now()
        conversation.state = ConversationState.ACTIVE
        conversation.operator = manager
        conversation.assigned_at = conversation.assigned_at or at
        conversation.closed_at = None
        conversation.closed_by = None
        conversation.closed_by_kind = ""
        conversation.reason = None
        conversation.save(
            update_fields=["state", "operator", "assigned_at", "closed_at", "closed_by", "closed_by_kind", "reason"]
        )
        # Its close counted on the day it was opened (and its held time on the days since).
        mark_changed(conversation, every_day_since=True)
        ConversationStep.objects.create(
            conversation=conversation,
            kind=StepKind.ASSIGNED,
            at=at,
            operator=manager,
            actor=manager.user,
            note=REOPENED,
        )
        post_system_line(conversation, "reopened", source=manager.display_name)
        _announce(conversation, manager)
        return conversation


@retry_on_conflict
def do_write_again(*, conversation_id: int, operator_id: int, text: str) -> Message:
    """A manager writes to the shopper of a closed chat on the same connector: a new conversation,
    linked to the old one (``previous``), active and theirs, whose first message is this one,
    delivered through the connector's normal outbound path."""
    check_text(text)
    with transaction.atomic():
        manager = _manager(operator_id)
        old, contact = _lock_closed(conversation_id)
        _take_manager_slot(manager)
        at = now()
        # A widget shopper may be gone: with an email on file the reply goes there (offline replies).
        offline = old.connector == Connector.WIDGET and bool(contact.email)
        conversation = Conversation.objects.create(
            connector=old.connector,
            contact=contact,
            queue_id=old.queue_id,
            state=ConversationState.ACTIVE,
            operator=manager,
            language=old.language,
            is_offline=offline,
            previous=old,
            created_at=at,
            assigned_at=at,
            last_operator_reply_at=at,
            last_replied_operator=manager,
        )
        ConversationStep.objects.bulk_create(
            [
                ConversationStep(
                    conversation=conversation,
                    kind=StepKind.CREATED,
                    at=at,
                    queue_id=old.queue_id,
                    actor=manager.user,
                    note=WRITTEN_AGAIN,
                ),
                ConversationStep(
                    conversation=conversation,
                    kind=StepKind.ASSIGNED,
                    at=at,
                    operator=manager,
                    actor=manager.user,
                    note=WRITTEN_AGAIN,
                ),
            ]
        )
        message = Message.objects.create(
            conversation=conversation,
            connector=conversation.connector,
            author_kind=AuthorKind.OPERATOR,
            author=manager,
            text=text,
            created_at=at,
            delivery_state=DeliveryState.PENDING if needs_delivery(conversation) else DeliveryState.SENT,
        )
        if message.delivery_state == DeliveryState.PENDING:
            schedule_delivery(message.pk)
        _announce(conversation, manager)
        publish_message(message, conversation)
        return message
