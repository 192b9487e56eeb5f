"""The conversation history in the workspace API: the list with its filters and cursor, one
conversation with its steps and messages, and a manager's reopen and write-again.

Mounted on the workspace's ``api`` (same auth, same error shape). The filters are parsed by
``workspace.history_filters`` exactly as the page parses them, so both list the same rows.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from chat import actions
from chat.errors import Forbidden, InvalidForm
from chat.models import Conversation, ConversationStep, Message, Rating
from chat.payloads import conversation_payload, message_payload
from chat.untrusted import MAX_ID
from workspace import history_export, selectors
from workspace.api_common import ERRORS, ConversationOut, MessageOut, PathId, me
from workspace.history import step_text
from workspace.history_filters import PAGE_MAX, PAGE_SIZE, history_page, parse_history_filters

router: Router = Router(tags=["history"])
FilterId = Annotated[int | None, Field(ge=1, le=MAX_ID)]


class FilterQuery(Schema):
    """The filters of the history list and of search (``workspace.history_filters``): one set, one meaning."""

    connector: Literal["widget", "telegram", "vk"] | None = None
    queue: FilterId = Field(None, description="Queue id")
    operator: FilterId = Field(None, description="Operator id")
    state: Literal["queued", "active", "closed"] | None = None
    reason: FilterId = Field(None, description="Contact reason id")
    rating: Annotated[int | None, Field(ge=1, le=5)] = Field(None, description="Exactly this many stars")
    low_rating: bool = Field(False, description="Rated 1 or 2 stars")
    consultation: bool | None = Field(None, description="true: stylist consultations only; false: none of them")
    date_from: date | None = Field(None, alias="from", description="Opened on or after this day (site time zone)")
    date_to: date | None = Field(None, alias="to", description="Opened on or before this day (site time zone)")


class HistoryQuery(FilterQuery):
    cursor: Annotated[str | None, Field(max_length=120)] = Field(
        None, description="``next_cursor`` of the previous page"
    )
    limit: Annotated[int, Field(ge=1, le=PAGE_MAX)] = PAGE_SIZE


class HistoryItemOut(ConversationOut):
    reason_name: str
    rating_stars: int | None
    previous_id: int | None


class HistoryPageOut(Schema):
    conversations: list[HistoryItemOut]
    next_cursor: str | None = Field(description="Pass it as ``cursor`` for the next page; null on the last page")


class StepOut(Schema):
    kind: str
    at: datetime
    operator_id: int | None
    queue_id: int | None
    note: str
    text: str


class RatingOut(Schema):
    stars: int
    created_at: datetime


class HistoryConversationOut(Schema):
    conversation: HistoryItemOut
    steps: list[StepOut]
    rating: RatingOut | None
    messages: list[MessageOut]


class WriteAgainIn(Schema):
    text: str


def _item(conversation: Conversation) -> dict[str, Any]:
    rating = getattr(conversation, "rating", None)  # a chat without a rating raises AttributeError
    return {
        **conversation_payload(conversation),
        "reason_name": conversation.reason.localized_name() if conversation.reason else "",
        "rating_stars": rating.stars if rating else None,
        "previous_id": conversation.previous_id,
    }


def filter_params(query: FilterQuery) -> dict[str, str]:
    """The filters as the query string held them, for the one parser the page uses too."""
    params = query.dict(by_alias=True, include=set(FilterQuery.model_fields))
    return {k: ("1" if v else "0") if isinstance(v, bool) else str(v) for k, v in params.items() if v is not None}


def _rating(conversation: Conversation) -> Rating | None:
    return Rating.objects.filter(conversation=conversation).first()


@router.get(
    "/history/conversations",
    response={200: HistoryPageOut, **ERRORS},
    summary="Conversation history: every chat you may read, newest first, with filters",
)
def list_history(request: HttpRequest, query: Query[HistoryQuery]) -> dict[str, Any]:
    """Keyset paging: follow ``next_cursor`` until it is null. Rows that arrive meanwhile sort
    before the first page, so a walk never repeats or skips one. An operator sees their own chats,
    the queue, and the earlier chats of the customers they hold now; a manager sees every chat."""
    filters = parse_history_filters(filter_params(query))
    page = history_page(operator=me(request), filters=filters, cursor=query.cursor, limit=query.limit)
    return {"conversations": [_item(c) for c in page.conversations], "next_cursor": page.next_cursor}


@router.get(
    "/history/conversations/{conversation_id}",
    response={200: HistoryConversationOut, **ERRORS},
    summary="One conversation, read-only: its steps in time, its rating and every message",
)
def get_history_conversation(request: HttpRequest, conversation_id: PathId) -> dict[str, Any]:
    conversation = selectors.access_conversation(conversation_id=conversation_id, operator=me(request))
    conversation = Conversation.objects.select_related("contact", "queue", "operator", "reason").get(pk=conversation.pk)
    steps = ConversationStep.objects.filter(conversation=conversation).select_related("operator", "queue")
    rating = _rating(conversation)
    messages = (
        Message.objects.filter(conversation=conversation).select_related("author").prefetch_related("attachments")
    )
    item = {**_item(conversation), "rating_stars": rating.stars if rating else None}
    return {
        "conversation": item,
        "steps": [
            {
                "kind": s.kind,
                "at": s.at,
                "operator_id": s.operator_id,
                "queue_id": s.queue_id,
                "note": s.note,
                "text": step_text(s, conversation),
            }
            for s in steps.order_by("at", "id")
        ],
        "rating": {"stars": rating.stars, "created_at": rating.created_at} if rating else None,
        "messages": [message_payload(m) for m in messages.order_by("id")],
    }


@router.post(
    "/history/conversations/{conversation_id}/reopen",
    response={200: ConversationOut, **ERRORS},
    summary="Reopen a closed conversation as your active chat (managers)",
)
def reopen_conversation(request: HttpRequest, conversation_id: PathId) -> dict[str, Any]:
    """Refused (409) at your chat limit, while offline or away, or when the customer has an open chat
    on that connector."""
    conversation = actions.do_reopen_conversation(conversation_id=conversation_id, operator_id=me(request).pk)
    return conversation_payload(
        Conversation.objects.select_related("contact", "queue", "operator").get(pk=conversation.pk)
    )


@router.post(
    "/history/conversations/{conversation_id}/write-again",
    response={201: MessageOut, **ERRORS},
    summary="Write to the customer of a closed conversation again, on their connector (managers)",
)
def write_again(request: HttpRequest, conversation_id: PathId, body: WriteAgainIn) -> Status:
    """A new conversation, linked to this one and yours, starts with this message; refused like reopen."""
    message = actions.do_write_again(conversation_id=conversation_id, operator_id=me(request).pk, text=body.text)
    stored = Message.objects.select_related("author").prefetch_related("attachments").get(pk=message.pk)
    return Status(201, message_payload(stored))


class ExportQuery(HistoryQuery):
    format: Literal["csv", "jsonl"] = "jsonl"


@router.get(
    "/history/export/{table}",
    response={200: None, **ERRORS},
    summary="Raw conversations or messages for a date range, streamed as CSV or JSON lines (managers)",
)
def export(
    request: HttpRequest, table: Literal["conversations", "messages"], query: Query[ExportQuery]
) -> StreamingHttpResponse:
    """The page's export for scripts (``Authorization: Bearer``): ``from`` and ``to`` are required,
    the list's filters apply; the columns are in docs/history.md."""
    if not me(request).is_manager:
        raise Forbidden(_("Only a manager may do this."))
    filters = parse_history_filters(filter_params(query))
    if filters.date_from is None or filters.date_to is None:
        raise InvalidForm({"from": []}, _("Give the start and the end date of the export."))
    return history_export.streamed(request=request, table=table, file_format=query.format, filters=filters)
