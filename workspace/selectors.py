"""Reads for the workspace: what an operator may see, a conversation's messages, a customer's history.

Who may read what (docs/security.md, "Who may read what"): a manager reads everything; an operator
reads their own chats (any state), every queued chat (the shared queue), and the closed history of a
customer whose chat they hold now, never another operator's active chat. No writes here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from chat.errors import Forbidden, NotFound
from chat.models import (
    Attachment,
    AuthorKind,
    CannedReply,
    Contact,
    Conversation,
    ConversationState,
    Message,
    Operator,
    Questionnaire,
    Reason,
)
from chat.selectors import queue_places

MESSAGE_PAGE_MAX = 200


def readable_by(operator: Operator) -> Q:
    """The conversations an operator may read, as a filter (a manager: all of them).

    A queued chat is readable by anyone (it waits for whoever is free); a customer's past chats
    are context for whoever holds that customer now; someone else's active chat is theirs alone.
    """
    if operator.is_manager:
        return Q()
    held = Conversation.objects.filter(operator=operator, state=ConversationState.ACTIVE).values("contact_id")
    return (
        Q(operator=operator)
        | Q(state=ConversationState.QUEUED)
        | Q(state=ConversationState.CLOSED, contact_id__in=held)
        | Q(state=ConversationState.CLOSED, contact__merged_into__in=held)
    )


def access_conversation(*, conversation_id: int, operator: Operator) -> Conversation:
    """Fetch a conversation the operator may read, or raise NotFound / Forbidden."""
    rows = Conversation.objects.select_related("contact", "queue", "operator")
    conversation = rows.filter(readable_by(operator), pk=conversation_id).first()
    if conversation is not None:
        return conversation
    if Conversation.objects.filter(pk=conversation_id).exists():
        raise Forbidden()
    raise NotFound("No such conversation.")


def access_attachment(*, attachment_id: int, operator: Operator) -> Attachment:
    """Fetch an attachment of a conversation the operator may read, or raise NotFound / Forbidden."""
    attachment = Attachment.objects.select_related("message").filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound("No such attachment.")
    access_conversation(conversation_id=attachment.message.conversation_id, operator=operator)
    return attachment


def access_questionnaire_photo(*, conversation_id: int, operator: Operator) -> Questionnaire:
    """Fetch the questionnaire of a conversation the operator may read, if it has a photo."""
    access_conversation(conversation_id=conversation_id, operator=operator)
    questionnaire = Questionnaire.objects.filter(conversation_id=conversation_id).first()
    if questionnaire is None or not questionnaire.photo:
        raise NotFound("No photo.")
    return questionnaire


def access_contact(*, contact_id: int, operator: Operator) -> Contact:
    """Fetch a customer the operator may look at: one with a conversation they may read."""
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise NotFound("No such contact.")
    seen = {contact.pk}
    while contact.merged_into_id and contact.merged_into_id not in seen:  # merged: the customer it is part of
        seen.add(contact.merged_into_id)
        contact = Contact.objects.get(pk=contact.merged_into_id)
    contact_id = contact.pk
    if operator.is_manager or Conversation.objects.filter(readable_by(operator), contact_id=contact_id).exists():
        return contact
    raise Forbidden("This customer is not in any of your chats.")


def active_conversations(*, operator: Operator, everyone: bool = False) -> QuerySet[Conversation]:
    """The operator's active chats, oldest assignment first (a manager may ask for everyone's)."""
    chats = Conversation.objects.filter(state=ConversationState.ACTIVE).select_related("contact", "queue", "operator")
    if not (everyone and operator.is_manager):
        chats = chats.filter(operator=operator)
    return chats.order_by("assigned_at", "id")


@dataclass(frozen=True)
class QueuedConversation:
    conversation: Conversation
    position: int
    estimated_wait_seconds: int | None
    waiting_seconds: int


def queued_conversations(*, limit: int = 100) -> list[QueuedConversation]:
    """The head of every queue, oldest first, with position and how long each has waited so far."""
    places = {place.conversation_id: place for place in queue_places(limit=limit)}
    chats = Conversation.objects.filter(pk__in=places).select_related("contact", "queue").order_by("queued_at", "id")
    at = timezone.now()
    return [
        QueuedConversation(
            conversation=chat,
            position=places[chat.pk].position,
            estimated_wait_seconds=places[chat.pk].estimated_wait_seconds,
            waiting_seconds=int((at - (chat.queued_at or chat.created_at)).total_seconds()),
        )
        for chat in chats
    ]


@dataclass(frozen=True)
class MessagePage:
    messages: list[Message]
    has_more: bool


def conversation_messages(
    *, conversation: Conversation, before_id: int | None = None, after_id: int | None = None, limit: int = 50
) -> MessagePage:
    """A page of messages in id order: the newest ``limit`` before ``before_id``, or those after ``after_id``."""
    limit = max(1, min(limit, MESSAGE_PAGE_MAX))
    rows = Message.objects.filter(conversation=conversation).select_related("author").prefetch_related("attachments")
    if after_id is not None:
        page = list(rows.filter(pk__gt=after_id).order_by("id")[: limit + 1])
        return MessagePage(messages=page[:limit], has_more=len(page) > limit)
    if before_id is not None:
        rows = rows.filter(pk__lt=before_id)
    page = list(rows.order_by("-id")[: limit + 1])
    return MessagePage(messages=list(reversed(page[:limit])), has_more=len(page) > limit)


def contact_conversations(*, contact: Contact, operator: Operator) -> QuerySet[Conversation]:
    """The customer's conversations on any connector that the operator may read, newest first
    (merged contacts included), each with its last message from the shopper or an operator as
    ``last_message_text`` (one query, not one per row; system lines such as "closed" would say the
    same for every chat)."""
    ids = [contact.pk, *Contact.objects.filter(merged_into=contact).values_list("pk", flat=True)]
    last_text = (
        Message.objects.filter(conversation=OuterRef("pk"), is_note=False)
        .exclude(author_kind=AuthorKind.SYSTEM)
        .order_by("-id")
        .values("text")[:1]
    )
    return (
        Conversation.objects.filter(readable_by(operator), contact_id__in=ids)
        .select_related("contact", "queue", "operator", "reason")
        .annotate(last_message_text=Subquery(last_text))
        .order_by("-created_at", "-id")
    )


def active_reasons() -> QuerySet[Reason]:
    return Reason.objects.filter(is_active=True).order_by("position", "id")


def canned_replies(*, language: str, query: str = "") -> QuerySet[CannedReply]:
    """Canned replies in one language whose shortcut (or text) matches what follows the ``/``."""
    replies = CannedReply.objects.filter(language=language)
    query = query.strip().lstrip("/")
    if query:
        replies = replies.filter(Q(shortcut__istartswith=query) | Q(text__icontains=query))
    return replies.order_by("shortcut")


def transfer_targets(*, operator: Operator) -> QuerySet[Operator]:
    """Other operators, with their skills, for the transfer list (the action checks availability)."""
    return Operator.objects.exclude(pk=operator.pk).prefetch_related("skills").order_by("display_name")


def search_contacts(*, query: str, limit: int = 50) -> list[Contact]:
    """Customers a manager looks up for a data request: by name, email, phone, shop id or connector id.

    Contacts merged into another are found through the one they were merged into. Each comes with
    ``open_count`` (chats not yet closed: erasure waits for them) and ``conversation_count``.
    """
    query = query.strip()
    if not query:
        return []
    matches = (
        Q(name__icontains=query)
        | Q(email__iexact=query)
        | Q(phone__icontains=query)
        | Q(customer_id=query)
        | Q(identities__external_id=query)
        | Q(identities__display_name__icontains=query)
        | Q(identities__details__username__iexact=query.lstrip("@"))
    )
    if query.lstrip("#").isdigit() and len(query) < 18:
        matches |= Q(pk=int(query.lstrip("#")))
    found = Contact.objects.filter(matches).values_list("pk", "merged_into_id")
    ids = {merged_into or pk for pk, merged_into in found}
    return list(
        Contact.objects.filter(pk__in=ids)
        .annotate(
            conversation_count=Count("conversations", distinct=True),
            open_count=Count("conversations", filter=~Q(conversations__state=ConversationState.CLOSED), distinct=True),
        )
        .prefetch_related("identities")
        .order_by("-created_at", "-id")[:limit]
    )
