"""Every connector ends here: one inbound type, one action, idempotent on (connector, external id)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction

from chat import events
from chat.actions._common import check_text, now, retry_on_conflict, store_files
from chat.actions.assignment import do_assign_waiting, enqueue_new
from chat.actions.contacts import merge_on_verified_keys, normalized_phone, root_contact_id
from chat.actions.conversations import publish_stored_message
from chat.actions.message_rows import (
    AUDIENCE_SQL,
    INSERT_COLUMNS_SQL,
    INSERT_VALUES_SQL,
    ShopperMessageRow,
    audience_params,
)
from chat.actions.metrics_days import mark_changed
from chat.actions.system_lines import post_system_line
from chat.errors import ConversationClosed, Forbidden, InvalidInput, NotFound
from chat.models import (
    Connector,
    Contact,
    Conversation,
    ConversationState,
    Identity,
    Message,
    Queue,
)
from chat.payloads import message_payload
from chat.verified import VerifiedDetails, run_verified_details_hooks

DEFAULT_QUEUE = "general"


@dataclass(frozen=True)
class InboundAttachment:
    name: str
    content: bytes
    content_type: str = ""


@dataclass(frozen=True)
class InboundMessage:
    """A shopper's message as every connector maps it, whatever the payload looked like."""

    connector: str
    sender_id: str
    text: str
    external_id: str | None = None
    sender_name: str = ""
    language: str = ""
    identity_details: Mapping[str, Any] = field(default_factory=dict)
    attachments: Sequence[InboundAttachment] = ()
    # The queue to open a new conversation in ("stylist" for a consultation); default general.
    queue_slug: str | None = None
    # Open a new conversation even if one is in progress (e.g. a consultation button).
    new_conversation: bool = False
    # The open conversation the shopper writes in, when they have several (the widget knows which
    # one its socket follows); it must be theirs, on this connector, and still open.
    conversation_id: int | None = None


@dataclass(frozen=True)
class ReceivedMessage:
    message: Message
    conversation: Conversation
    duplicate: bool
    new_conversation: bool


def check_inbound(inbound: InboundMessage) -> None:
    if inbound.connector not in Connector.values:
        raise InvalidInput(f"Unknown connector {inbound.connector!r}.")
    if not inbound.sender_id:
        raise InvalidInput("The sender is missing.")
    check_text(inbound.text, allow_empty=bool(inbound.attachments))
    if not inbound.text and not inbound.attachments:
        raise InvalidInput("The message is empty.")


def do_receive_inbound(inbound: InboundMessage) -> ReceivedMessage:
    """Store a shopper's message in their open conversation (or a new, queued one) and announce it.

    A repeat of an already stored external id returns the stored message and changes nothing, so
    webhook retries, long-poll replays and widget resends are all absorbed here.
    """
    check_inbound(inbound)
    try:
        if inbound.conversation_id is not None and not inbound.attachments and connection.vendor == "postgresql":
            appended = _append_to_open_conversation(inbound)
            if appended is not None:
                return appended
        return _receive(inbound)
    except IntegrityError:
        # The unique (connector, external id) refused a repeat, or a concurrent delivery of it won
        # the race: the whole attempt was rolled back, so return what was stored first. Asking the
        # constraint instead of looking first saves a query on every message that is not a repeat.
        existing = _existing(inbound) if inbound.external_id else None
        if existing is None:
            raise
        return existing


# The shopper's next message in a chat they already wrote in, in one statement (one round trip,
# committed on its own): the conversation row is updated only if it is still open, theirs and on
# this connector, which also locks it like the general path does; the message and the operator's
# stored event are inserted in the same statement. Anything else (a first message, a closed or
# foreign chat, a merged contact) matches no row and takes the general path below.
_APPEND_SQL = f"""
WITH touched AS (
    UPDATE chat_conversation c SET last_shopper_message_at = %(at)s
    WHERE c.id = %(conversation)s AND c.connector = %(connector)s AND c.state IN (%(queued)s, %(active)s)
      AND c.first_shopper_message_at IS NOT NULL AND c.response_clock_at IS NOT NULL
      AND c.contact_id = (SELECT i.contact_id FROM chat_identity i
                          WHERE i.connector = %(connector)s AND i.external_id = %(sender)s)
    RETURNING c.id, c.operator_id, c.state, c.contact_id
), message AS (
    INSERT INTO chat_message ({INSERT_COLUMNS_SQL})
    SELECT {INSERT_VALUES_SQL}
    FROM touched
    RETURNING id
), event AS (
    INSERT INTO chat_event (audience, kind, payload, created_at)
    SELECT {AUDIENCE_SQL.format(operator="t.operator_id")},
           %(kind)s, jsonb_set(%(payload)s::jsonb, '{{id}}', to_jsonb(m.id)), %(at)s
    FROM touched t, message m
    RETURNING id, audience
)
SELECT t.operator_id, t.state, t.contact_id, m.id, e.id, e.audience FROM touched t, message m, event e
"""  # noqa: S608 (the names come from the Message model and message_rows, every value is a parameter)


def _append_to_open_conversation(inbound: InboundMessage) -> ReceivedMessage | None:
    """The common case on PostgreSQL in one round trip instead of eight; None: not that case."""
    assert inbound.conversation_id is not None
    at = now()
    row = _message_row(inbound, conversation_id=inbound.conversation_id, at=at)
    message = row.build()
    message._known_attachments = False  # type: ignore[attr-defined]
    params = {
        **row.sql_params(),
        **audience_params(),
        "at": at,
        "conversation": inbound.conversation_id,
        "connector": inbound.connector,
        "queued": ConversationState.QUEUED,
        "active": ConversationState.ACTIVE,
        "sender": inbound.sender_id,
        "kind": "message.new",
        "payload": json.dumps(message_payload(message), cls=DjangoJSONEncoder),
    }
    # Inside a caller's transaction a refused duplicate must not spoil it: give it a savepoint.
    guard = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with guard, connection.cursor() as cursor:
        cursor.execute(_APPEND_SQL, params)
        stored = cursor.fetchone()
    if stored is None:
        return None
    operator_id, state, contact_id, message_id, event_id, audience = stored
    message.pk = message.id = message_id
    message._state.adding = False
    message._state.db = connection.alias
    conversation = Conversation.from_db(
        connection.alias,
        ["id", "connector", "contact_id", "state", "operator_id"],
        [inbound.conversation_id, inbound.connector, contact_id, state, operator_id],
    )
    message.conversation = conversation
    events.broadcast_stored("message.new", message_payload(message), [(event_id, audience)])
    events.emit_to_conversation(conversation.pk, "message.new", message_payload(message, for_shopper=True))
    if state == ConversationState.QUEUED:
        # Written while a queued chat was locked: an assignment running meanwhile skipped it.
        transaction.on_commit(do_assign_waiting, robust=True)
    return ReceivedMessage(message=message, conversation=conversation, duplicate=False, new_conversation=False)


def _message_row(inbound: InboundMessage, *, conversation_id: int, at: datetime) -> ShopperMessageRow:
    return ShopperMessageRow(
        conversation_id=conversation_id,
        connector=inbound.connector,
        text=inbound.text,
        external_id=inbound.external_id or None,
        created_at=at,
    )


def _existing(inbound: InboundMessage) -> ReceivedMessage | None:
    message = (
        Message.objects.select_related("conversation")
        .filter(connector=inbound.connector, external_id=inbound.external_id)
        .first()
    )
    if message is None:
        return None
    return ReceivedMessage(message=message, conversation=message.conversation, duplicate=True, new_conversation=False)


def ensure_contact(
    *, connector: str, sender_id: str, name: str = "", language: str = "", details: Mapping[str, Any] | None = None
) -> Contact:
    """The contact behind a connector identity, created on first contact (race-safe)."""
    contact, _ = _contact_for(connector=connector, sender_id=sender_id, name=name, language=language, details=details)
    return contact


def _contact_for(
    *, connector: str, sender_id: str, name: str = "", language: str = "", details: Mapping[str, Any] | None = None
) -> tuple[Contact, bool]:
    """The contact, and whether this very transaction created it (so nobody else can see it yet)."""
    identity = Identity.objects.select_related("contact").filter(connector=connector, external_id=sender_id).first()
    if identity is None:
        try:
            with transaction.atomic():
                contact = Contact.objects.create(name=name, language=language)
                Identity.objects.create(
                    contact=contact,
                    connector=connector,
                    external_id=sender_id,
                    display_name=name,
                    details=dict(details or {}),
                )
            return contact, True
        except IntegrityError:
            identity = Identity.objects.select_related("contact").get(connector=connector, external_id=sender_id)
    contact = identity.contact
    while contact.merged_into_id:
        contact = Contact.objects.get(pk=contact.merged_into_id)
    updates = {}
    if name and not contact.name:
        updates["name"] = name
    if language and not contact.language:
        updates["language"] = language
    if updates:
        Contact.objects.filter(pk=contact.pk).update(**updates)
        for key, value in updates.items():
            setattr(contact, key, value)
    if details and identity.details != {**identity.details, **details}:
        Identity.objects.filter(pk=identity.pk).update(details={**identity.details, **details})
    return contact, False


CONTACT_FIELD_LIMITS = {"name": 200, "email": 254, "phone": 40, "customer_id": 100}


def do_set_contact_details(
    *,
    connector: str,
    sender_id: str,
    name: str = "",
    email: str = "",
    phone: str = "",
    customer_id: str = "",
    verified: bool = False,
) -> Contact:
    """Keep what a shopper told us about themselves (offline form) or what their shop vouched for
    (a signed customer, ``verified``) on their contact, so an operator can answer later on the given
    contact. Vouched-for details also go to the apps that registered for them (``chat.verified``:
    orders links the customer's orders), in this transaction.

    Empty values leave a field as it is; given ones replace it. ``verified``: the email and phone
    came signed from the shop or confirmed by the connector; such keys (and a shop customer id, which
    is always signed) merge the contact with others holding the same (``chat.actions.contacts``).
    """
    given = {"name": name, "email": email, "phone": phone, "customer_id": customer_id}
    for key, value in given.items():
        if not isinstance(value, str) or len(value) > CONTACT_FIELD_LIMITS[key]:
            raise InvalidInput(f"The {key.replace('_', ' ')} is too long.")
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise InvalidInput("The email address is not valid.") from exc
    with transaction.atomic():
        contact = ensure_contact(connector=connector, sender_id=sender_id, name=name)
        if verified and phone:
            given["phone"] = normalized_phone(phone)
        updates: dict[str, object] = {
            key: value for key, value in given.items() if value and getattr(contact, key) != value
        }
        if verified and email and not (contact.email_verified and "email" not in updates):
            updates["email_verified"] = True
        elif "email" in updates:
            updates["email_verified"] = False  # a new, unconfirmed address
        if verified and phone and not (contact.phone_verified and "phone" not in updates):
            updates["phone_verified"] = True
        elif "phone" in updates:
            updates["phone_verified"] = False
        if updates:
            Contact.objects.filter(pk=contact.pk).update(**updates)
            for field_name, field_value in updates.items():
                setattr(contact, field_name, field_value)
        merges_possible = customer_id or (verified and (email or phone))
        if merges_possible and merge_on_verified_keys(contact.pk):
            contact = Contact.objects.get(pk=root_contact_id(contact.pk))
        if verified and (customer_id or email or phone):
            # After the merge, so apps link what the shop vouched for to the one live contact.
            run_verified_details_hooks(
                VerifiedDetails(contact_id=contact.pk, customer_id=customer_id, email=email, phone=given["phone"])
            )
        return contact


def do_leave_contact_while_waiting(
    *, connector: str, sender_id: str, conversation_id: int, name: str = "", email: str = "", phone: str = ""
) -> Conversation:
    """A queued shopper who would rather not wait leaves an email or phone: the chat keeps its place,
    and is answered there too (like an offline-form chat) if they have gone by the time it is taken."""
    if not (isinstance(email, str) and email.strip()) and not (isinstance(phone, str) and phone.strip()):
        raise InvalidInput("Leave an email or a phone number so we can answer.")
    email, phone = email.strip(), phone.strip()
    with transaction.atomic():
        contact = do_set_contact_details(connector=connector, sender_id=sender_id, name=name, email=email, phone=phone)
        conversation = _chosen_conversation(contact=contact, connector=connector, conversation_id=conversation_id)
        if not conversation.is_offline:
            conversation.is_offline = True
            conversation.save(update_fields=["is_offline"])
        post_system_line(conversation, "left_contact", contact=email or phone)
        return conversation


def _queue(slug: str | None) -> Queue:
    try:
        return Queue.objects.get(slug=slug or DEFAULT_QUEUE)
    except Queue.DoesNotExist as exc:
        raise NotFound(f"No queue {slug or DEFAULT_QUEUE!r}.") from exc


def _chosen_conversation(*, contact: Contact, connector: str, conversation_id: int) -> Conversation:
    """The conversation the shopper picked, locked: theirs on this connector (else Forbidden) and open."""
    conversation = (
        Conversation.objects.select_for_update()
        .filter(pk=conversation_id, contact=contact, connector=connector)
        .first()
    )
    if conversation is None:
        raise Forbidden()
    if conversation.state not in (ConversationState.QUEUED, ConversationState.ACTIVE):
        raise ConversationClosed()
    return conversation


def open_conversation(
    *,
    contact: Contact,
    connector: str,
    queue_slug: str | None,
    language: str = "",
    force_new: bool = False,
    conversation_id: int | None = None,
    new_contact: bool = False,
    first_message_at: datetime | None = None,
) -> tuple[Conversation, bool]:
    """The contact's open conversation on this connector, or a new queued one (locked either way).

    A shopper who writes after a close starts a new conversation linked to the last one, so its
    wait, rating and reason are counted on their own; the operator sees the earlier chat beside it.
    ``new_contact``: created in this transaction, so it has no chats and nobody else can lock it.
    ``first_message_at``: a message opens the chat, so its shopper-message times are set at once.
    """
    if conversation_id is not None:
        # Writing into a known open chat creates nothing, so its own lock is enough.
        return _chosen_conversation(contact=contact, connector=connector, conversation_id=conversation_id), False
    previous = None
    if not new_contact:
        contact = _lock_live(contact)  # serialise per shopper
        open_chats = Conversation.objects.select_for_update().filter(
            contact=contact, connector=connector, state__in=[ConversationState.QUEUED, ConversationState.ACTIVE]
        )
        current = None if force_new else open_chats.order_by("-id").first()
        if current is not None:
            return current, False
        previous = Conversation.objects.filter(contact=contact).order_by("-id").values_list("pk", flat=True).first()
    queue = _queue(queue_slug)
    at = first_message_at or now()
    conversation = Conversation.objects.create(
        connector=connector,
        contact=contact,
        queue=queue,
        state=ConversationState.QUEUED,
        language=language or contact.language,
        created_at=at,
        queued_at=at,
        previous_id=previous,
        first_shopper_message_at=first_message_at,
        last_shopper_message_at=first_message_at,
        response_clock_at=first_message_at,
    )
    enqueue_new(conversation)
    return conversation, True


def _lock_live(contact: Contact) -> Contact:
    """Lock the contact; if a merge folded it into another while we waited, lock and use that one, so
    no chat is ever opened on a merged contact."""
    while True:
        merged_into = (
            Contact.objects.select_for_update().filter(pk=contact.pk).values_list("merged_into_id", flat=True).first()
        )
        if not merged_into:
            return contact
        contact = Contact.objects.get(pk=merged_into)


@retry_on_conflict
def _receive(inbound: InboundMessage) -> ReceivedMessage:
    # The contact is created in the same transaction, so a refused message leaves no stray shopper.
    with transaction.atomic():
        contact, new_contact = _contact_for(
            connector=inbound.connector,
            sender_id=inbound.sender_id,
            name=inbound.sender_name,
            language=inbound.language,
            details=inbound.identity_details,
        )
        at = now()
        conversation, is_new = open_conversation(
            contact=contact,
            connector=inbound.connector,
            queue_slug=inbound.queue_slug,
            language=inbound.language,
            force_new=inbound.new_conversation,
            conversation_id=inbound.conversation_id,
            new_contact=new_contact,
            first_message_at=at,
        )
        message = _message_row(inbound, conversation_id=conversation.pk, at=at).build()
        message.conversation = conversation
        message.save(force_insert=True)
        store_files(message, inbound.attachments)
        if not is_new:  # a new chat was created with this message's times
            fields = ["last_shopper_message_at"]
            conversation.last_shopper_message_at = at
            if conversation.first_shopper_message_at is None:
                conversation.first_shopper_message_at = at
                fields.append("first_shopper_message_at")
            if conversation.response_clock_at is None:
                conversation.response_clock_at = at
                fields.append("response_clock_at")
                mark_changed(conversation)
            conversation.save(update_fields=fields)
        if not inbound.attachments:
            message._known_attachments = False  # type: ignore[attr-defined]
        publish_stored_message(message, conversation)
        if not is_new and conversation.state == ConversationState.QUEUED:
            # We held the chat's lock, so an assignment running meanwhile skipped it: look again.
            transaction.on_commit(do_assign_waiting, robust=True)
        return ReceivedMessage(message=message, conversation=conversation, duplicate=False, new_conversation=is_new)


def do_open_conversation(
    *,
    connector: str,
    sender_id: str,
    queue_slug: str | None = None,
    name: str = "",
    language: str = "",
    force_new: bool = False,
    is_offline: bool = False,
) -> Conversation:
    """Open (or return the open) conversation before the shopper's first message: consultations,
    offline forms and a widget that wants its queue position from the start."""
    if connector not in Connector.values:
        raise InvalidInput(f"Unknown connector {connector!r}.")
    with transaction.atomic():
        contact = ensure_contact(connector=connector, sender_id=sender_id, name=name, language=language)
        conversation, is_new = open_conversation(
            contact=contact, connector=connector, queue_slug=queue_slug, language=language, force_new=force_new
        )
        if is_new and is_offline:
            conversation.is_offline = True
            conversation.save(update_fields=["is_offline"])
        if is_new:
            events.emit_to_conversation(conversation.pk, "conversation.opened", {"conversation_id": conversation.pk})
        return conversation


@retry_on_conflict
def do_receive_offline_message(
    *,
    connector: str,
    sender_id: str,
    text: str,
    external_id: str,
    name: str = "",
    email: str = "",
    phone: str = "",
    language: str = "",
    identity_details: Mapping[str, Any] | None = None,
) -> ReceivedMessage:
    """The offline form: the shopper's contact details, a queued chat marked offline and their
    message, in one transaction, so a refused part leaves nothing of the others behind.

    A repeat of ``external_id`` (the form sent again) stores nothing new.
    """
    with transaction.atomic():
        do_set_contact_details(connector=connector, sender_id=sender_id, name=name, email=email, phone=phone)
        conversation = do_open_conversation(
            connector=connector, sender_id=sender_id, name=name, language=language, is_offline=True
        )
        return do_receive_inbound(
            InboundMessage(
                connector=connector,
                sender_id=sender_id,
                text=text,
                sender_name=name,
                language=language,
                external_id=external_id,
                identity_details=dict(identity_details or {}),
                conversation_id=conversation.pk,
            )
        )
