"""The workspace's JSON API: every action the operator screen performs, scriptable by a shop too.

Served at ``/api/`` with its OpenAPI schema at ``/api/openapi.json`` and docs at ``/api/docs``.
Browsers authenticate with the Django session (CSRF checked on writes). Reads go through
selectors, writes through ``chat.actions``; every refusal has one shape:
``{"error": {"code": ..., "message": ...}}`` with the matching HTTP status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, NinjaAPI, Query, Schema, Status, UploadedFile
from ninja.errors import ValidationError

from chat import actions
from chat.errors import InvalidInput
from chat.files import OutgoingFile, check_file, check_file_size, refusal_reason, safe_display_name
from chat.models import Connector, Conversation, Identity, Message, Operator, Queue
from chat.payloads import conversation_payload, message_payload
from chat.untrusted import MAX_ID
from kb.api import router as kb_router
from workspace import selectors
from workspace.api_common import (
    ERRORS,
    ConversationOut,
    MessageOut,
    OperatorSessionAuth,
    OperatorTokenAuth,
    PathId,
    RowId,
    UntrustedParser,
    answer_errors_plainly,
    me,
)
from workspace.customers_api import router as customers_router
from workspace.feedback_api import router as feedback_router
from workspace.history_api import router as history_router
from workspace.privacy_api import router as privacy_router

api = NinjaAPI(
    title="Switchboard workspace API",
    version="1.0.0",
    description=(
        # Markdown, rendered as HTML by the docs page: placeholders in angle brackets go in code spans.
        "Everything the operator workspace does. Log in with a Django session (send the CSRF token in "
        "`X-CSRFToken` on writes), or send `Authorization: Bearer <token>` "
        "(`manage.py issue_api_token <login>`). "
        'Errors: `{"error": {"code", "message"}}` with the HTTP status.'
    ),
    # The token is tried first: the session check refuses a cookie-less POST for its missing CSRF token.
    auth=[OperatorTokenAuth(), OperatorSessionAuth()],
    urls_namespace="workspace-api",
    parser=UntrustedParser(),
)


def _error(request: HttpRequest, code: str, message: str, status: int) -> HttpResponse:
    return api.create_response(request, {"error": {"code": code, "message": message}}, status=status)


answer_errors_plainly(api, _error, unauthorized=_("Sign in as an operator first."))


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if any(error.get("loc", ("",))[0] == "path" for error in exc.errors):
        # An id that is not a number, or past what the database holds, names nothing.
        return _error(request, "not_found", _("Not found."), 404)
    details = "; ".join(
        f"{'.'.join(str(part) for part in error.get('loc', ()))}: {error.get('msg', '')}" for error in exc.errors
    )
    return _error(request, "invalid_input", details or _("The input is not valid."), 422)


# --- Schemas ---------------------------------------------------------------------------------------


class MeOut(Schema):
    id: int
    name: str
    username: str
    status: Literal["online", "away", "offline"]
    is_manager: bool
    language: str
    cap: int
    active_count: int


class StatusIn(Schema):
    status: Literal["online", "away", "offline"]


class StatusOut(MeOut):
    requeued_conversation_ids: list[int]


class ConversationDetailOut(Schema):
    conversation: ConversationOut
    messages: list[MessageOut]
    has_more: bool
    visitor_context: dict[str, Any] = Field(
        default_factory=dict,
        description="Where the shopper is (page, earlier pages, referrer, language, device, cart), as the widget "
        "reports it; empty for Telegram and VK. Shape: chat/visitor_context.py.",
    )


class QueueItemOut(Schema):
    conversation: ConversationOut
    position: int
    estimated_wait_seconds: int | None
    waiting_seconds: int


class ReplyIn(Schema):
    text: str
    is_note: bool = False


class TransferIn(Schema):
    operator_id: RowId | None = None
    queue_id: RowId | None = None


class CloseIn(Schema):
    reason_id: RowId


class ReasonOut(Schema):
    id: int
    slug: str
    category: str
    name: str


class CannedReplyOut(Schema):
    id: int
    shortcut: str
    language: str
    text: str


class OperatorOut(Schema):
    id: int
    name: str
    status: str
    active_count: int
    cap: int
    skills: list[str]


class QueueOut(Schema):
    id: int
    slug: str
    name: str
    skill: str


class IdentityOut(Schema):
    connector: str
    external_id: str
    display_name: str
    # How people know this identity: "@username" on Telegram; the profile address on VK.
    handle: str = ""
    profile_url: str = ""


class EarlierConversationOut(Schema):
    id: int
    connector: str
    state: str
    created_at: datetime
    closed_at: datetime | None
    operator_name: str
    reason: str
    last_message: str


class ContactOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    language: str
    customer_id: str
    identities: list[IdentityOut]
    conversations: list[EarlierConversationOut]
    # When a manager erased the customer's data (the card is then empty on purpose).
    erased_at: datetime | None = None


# --- Helpers ---------------------------------------------------------------------------------------


def _me_payload(operator: Operator) -> dict[str, Any]:
    return {
        "id": operator.pk,
        "name": operator.display_name,
        "username": operator.user.get_username(),
        "status": operator.status,
        "is_manager": operator.is_manager,
        "language": operator.language,
        "cap": operator.effective_cap,
        "active_count": operator.active_count,
    }


def _conversation(conversation_id: int) -> dict[str, Any]:
    return conversation_payload(
        Conversation.objects.select_related("contact", "queue", "operator").get(pk=conversation_id)
    )


def _message(message_id: int) -> dict[str, Any]:
    message = Message.objects.select_related("author").prefetch_related("attachments").get(pk=message_id)
    return message_payload(message)


# --- Endpoints -------------------------------------------------------------------------------------


@api.get("/me", response={200: MeOut, **ERRORS}, summary="The signed-in operator")
def get_me(request: HttpRequest) -> dict[str, Any]:
    return _me_payload(me(request))


@api.post("/me/status", response={200: StatusOut, **ERRORS}, summary="Go online, away or offline")
def set_status(request: HttpRequest, body: StatusIn) -> dict[str, Any]:
    """Offline returns your open chats to the head of the queue; online takes waiting chats."""
    operator = me(request)
    requeued = actions.do_set_operator_status(operator_id=operator.pk, status=body.status)
    operator.refresh_from_db()
    return {**_me_payload(operator), "requeued_conversation_ids": requeued}


@api.get("/conversations", response={200: list[ConversationOut], **ERRORS}, summary="Active chats")
def list_conversations(request: HttpRequest, everyone: bool = False) -> list[dict[str, Any]]:
    """Your active chats; a manager may pass ``everyone=true`` to see every operator's."""
    return [conversation_payload(c) for c in selectors.active_conversations(operator=me(request), everyone=everyone)]


@api.get("/queue", response={200: list[QueueItemOut], **ERRORS}, summary="Waiting conversations")
def list_queue(request: HttpRequest) -> list[dict[str, Any]]:
    me(request)
    return [
        {
            "conversation": conversation_payload(item.conversation),
            "position": item.position,
            "estimated_wait_seconds": item.estimated_wait_seconds,
            "waiting_seconds": item.waiting_seconds,
        }
        for item in selectors.queued_conversations()
    ]


@api.get(
    "/conversations/{conversation_id}",
    response={200: ConversationDetailOut, **ERRORS},
    summary="A conversation with a page of its messages",
)
def get_conversation(
    request: HttpRequest,
    conversation_id: PathId,
    before_id: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    after_id: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ID)] = 50,
) -> dict[str, Any]:
    """Messages in id order: the newest ``limit`` (before ``before_id`` to page back), or after ``after_id``."""
    conversation = selectors.access_conversation(conversation_id=conversation_id, operator=me(request))
    page = selectors.conversation_messages(
        conversation=conversation, before_id=before_id, after_id=after_id, limit=limit
    )
    return {
        "conversation": conversation_payload(conversation),
        "messages": [message_payload(m) for m in page.messages],
        "has_more": page.has_more,
        "visitor_context": conversation.visitor_context,
    }


@api.post(
    "/conversations/{conversation_id}/messages",
    response={201: MessageOut, **ERRORS},
    summary="Reply to the shopper, or leave a private note",
)
def post_message(request: HttpRequest, conversation_id: PathId, body: ReplyIn) -> Status:
    """A note (``is_note``) is seen by operators only; a reply goes to the shopper's connector."""
    message = actions.do_operator_reply(
        conversation_id=conversation_id, operator_id=me(request).pk, text=body.text, is_note=body.is_note
    )
    return Status(201, _message(message.pk))


@api.post(
    "/conversations/{conversation_id}/attachments",
    response={201: MessageOut, **ERRORS},
    summary="Send the shopper a photo or file (multipart/form-data), with optional text",
)
def post_attachment(
    request: HttpRequest,
    conversation_id: PathId,
    file: Annotated[UploadedFile, File(description="The photo or file; the limits of SWITCHBOARD_ATTACHMENT_*")],
    text: Annotated[str, Form(description="Sent with the file (a caption on Telegram and VK)")] = "",
    is_note: Annotated[bool, Form(description="Keep the file among operators (a private note)")] = False,
) -> Status:
    """The file goes to the shopper's connector like a reply: a photo or a document on Telegram and
    VK, a thumbnail or a download link in the widget. Over the size limit or of a type not accepted
    (judged by its bytes) it is refused with ``invalid_input`` and nothing is stored."""
    operator = me(request)
    name = safe_display_name(file.name or "file")
    refusal = check_file_size(name, file.size or 0)
    content = b"" if refusal else file.read()
    refusal = refusal or check_file(name, content)
    if refusal is not None:
        raise InvalidInput(refusal_reason(refusal))
    message = actions.do_operator_reply(
        conversation_id=conversation_id,
        operator_id=operator.pk,
        text=text,
        is_note=is_note,
        files=[OutgoingFile(name=name, content=content, content_type=file.content_type or "")],
    )
    return Status(201, _message(message.pk))


@api.post(
    "/conversations/{conversation_id}/transfer",
    response={200: ConversationOut, **ERRORS},
    summary="Hand the chat to another operator or a queue",
)
def transfer(request: HttpRequest, conversation_id: PathId, body: TransferIn) -> dict[str, Any]:
    actions.do_transfer(
        conversation_id=conversation_id,
        actor_operator_id=me(request).pk,
        to_operator_id=body.operator_id,
        to_queue_id=body.queue_id,
    )
    return _conversation(conversation_id)


@api.post(
    "/conversations/{conversation_id}/close",
    response={200: ConversationOut, **ERRORS},
    summary="Close the chat with exactly one contact reason",
)
def close(request: HttpRequest, conversation_id: PathId, body: CloseIn) -> dict[str, Any]:
    actions.do_close(conversation_id=conversation_id, operator_id=me(request).pk, reason_id=body.reason_id)
    return _conversation(conversation_id)


@api.post("/messages/{message_id}/retry", response={200: MessageOut, **ERRORS}, summary="Send a failed message again")
def retry_message(request: HttpRequest, message_id: PathId) -> dict[str, Any]:
    message = actions.do_retry_delivery(message_id=message_id, operator_id=me(request).pk)
    return _message(message.pk)


@api.get("/reasons", response={200: list[ReasonOut], **ERRORS}, summary="Contact reasons, in your language")
def list_reasons(request: HttpRequest) -> list[dict[str, Any]]:
    me(request)
    return [
        {"id": r.pk, "slug": r.slug, "category": r.category, "name": r.localized_name()}
        for r in selectors.active_reasons()
    ]


@api.get("/canned-replies", response={200: list[CannedReplyOut], **ERRORS}, summary="Canned replies by shortcut")
def list_canned_replies(request: HttpRequest, q: str = "", language: str | None = None) -> list[dict[str, Any]]:
    """Replies whose shortcut starts with ``q`` (or whose text contains it), in your language by default."""
    operator = me(request)
    replies = selectors.canned_replies(language=language or operator.language, query=q)
    return [{"id": r.pk, "shortcut": r.shortcut, "language": r.language, "text": r.text} for r in replies]


@api.get("/operators", response={200: list[OperatorOut], **ERRORS}, summary="Colleagues to transfer to")
def list_operators(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "id": o.pk,
            "name": o.display_name,
            "status": o.status,
            "active_count": o.active_count,
            "cap": o.effective_cap,
            "skills": [s.slug for s in o.skills.all()],
        }
        for o in selectors.transfer_targets(operator=me(request))
    ]


@api.get("/queues", response={200: list[QueueOut], **ERRORS}, summary="Queues to transfer to")
def list_queues(request: HttpRequest) -> list[dict[str, Any]]:
    me(request)
    return [
        {"id": q.pk, "slug": q.slug, "name": q.localized_name(), "skill": q.skill.slug}
        for q in Queue.objects.select_related("skill").order_by("name")
    ]


@api.get("/contacts/{contact_id}", response={200: ContactOut, **ERRORS}, summary="The customer card")
def get_contact(request: HttpRequest, contact_id: PathId) -> dict[str, Any]:
    """Name, every identity, and every conversation on any connector, newest first."""
    operator = me(request)
    contact = selectors.access_contact(contact_id=contact_id, operator=operator)
    conversations = []
    for c in selectors.contact_conversations(contact=contact, operator=operator)[:50]:
        conversations.append(
            {
                "id": c.pk,
                "connector": c.connector,
                "state": c.state,
                "created_at": c.created_at,
                "closed_at": c.closed_at,
                "operator_name": c.operator.display_name if c.operator else "",
                "reason": c.reason.localized_name() if c.reason else "",
                "last_message": (getattr(c, "last_message_text", None) or "")[:200],  # annotated by the selector
            }
        )
    return {
        "id": contact.pk,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "language": contact.language,
        "customer_id": contact.customer_id,
        "identities": [identity_payload(i) for i in contact.identities.order_by("id")],
        "conversations": conversations,
        "erased_at": contact.erased_at,
    }


def identity_payload(identity: Identity) -> dict[str, str]:
    """An identity as people read it: a Telegram @username, a VK profile link, not only a raw id."""
    handle = profile_url = ""
    if identity.connector == Connector.TELEGRAM:
        username = str((identity.details or {}).get("username") or "")
        handle = f"@{username}" if username else ""
        profile_url = f"https://t.me/{username}" if username else ""
    elif identity.connector == Connector.VK and identity.external_id.isdigit():
        profile_url = f"https://vk.com/id{identity.external_id}"
    return {
        "connector": identity.connector,
        "external_id": identity.external_id,
        "display_name": identity.display_name,
        "handle": handle,
        "profile_url": profile_url,
    }


api.add_router("", feedback_router)  # ratings and questionnaires: the customer panel, the review list
api.add_router("", privacy_router)  # a customer's personal data: export and erasure, for managers
api.add_router("", kb_router)  # the help search (the knowledge base app's own router)

api.add_router("", customers_router)  # Customer 360: the whole picture of a customer, notes, merge and undo
api.add_router("", history_router)  # the history: list, transcript, a manager's reopen and write-again
