"""A manager's raw export: one row per conversation (every step time, operator, reason, rating) or
per message, as CSV or JSON lines, streamed in constant memory, so a shop can recompute every
dashboard figure itself (docs/history.md lists the columns and how each figure is worked out).

Rows are read with a database iterator in chunks and written as they come. Under ASGI (daphne) the
response body is an async iterator that pulls each chunk on the database thread: a plain iterator
would make Django read the whole body into memory before sending it. Times are UTC, ISO 8601 with
microseconds, exactly as stored.
"""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, StreamingHttpResponse

from chat.models import Attachment, Conversation, ConversationStep, Message, StepKind
from workspace.history_filters import CONSULTATION_QUEUE, HistoryFilters

TABLES = ("conversations", "messages")
FORMATS = ("csv", "jsonl")
CHUNK_ROWS = 1000

CONVERSATION_COLUMNS = [
    "id",
    "previous_id",
    "connector",
    "queue",
    "consultation",
    "state",
    "contact_id",
    "operator_id",
    "operator",
    "last_replied_operator_id",
    "reason",
    "reason_name",
    "closed_by_kind",
    "is_offline",
    "created_at",
    "queued_at",
    "assigned_at",
    "first_shopper_message_at",
    "response_clock_at",
    "first_response_at",
    "last_shopper_message_at",
    "last_operator_reply_at",
    "closed_at",
    "abandoned_at",
    "transfers",
    "requeues",
    "rating_stars",
    "rating_at",
    "rating_operator_id",
    "steps",
]
MESSAGE_COLUMNS = [
    "id",
    "conversation_id",
    "connector",
    "author_kind",
    "author_id",
    "author",
    "is_note",
    "created_at",
    "edited_at",
    "delivery_state",
    "attachments",
    "text",
]


def stamp(value: datetime | None) -> str | None:
    """UTC, to the microsecond: ``2026-03-10T10:00:30.000000+00:00``."""
    return value.astimezone(UTC).isoformat(timespec="microseconds") if value else None


def _step_count(kind: str) -> Subquery:
    rows = (
        ConversationStep.objects.filter(conversation=OuterRef("pk"), kind=kind)
        .order_by()
        .values("conversation")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)  # type: ignore[return-value]


def conversation_rows(filters: HistoryFilters) -> Iterator[dict[str, Any]]:
    conversations = (
        filters.apply(Conversation.objects.all())
        .select_related("queue", "operator", "reason", "rating")
        .annotate(transfers=_step_count(StepKind.TRANSFERRED), requeues=_step_count(StepKind.REQUEUED))
        .prefetch_related(Prefetch("steps", queryset=ConversationStep.objects.order_by("at", "id")))
        .order_by("created_at", "id")
    )
    for c in conversations.iterator(chunk_size=CHUNK_ROWS):
        rating = getattr(c, "rating", None)
        yield {
            "id": c.pk,
            "previous_id": c.previous_id,
            "connector": c.connector,
            "queue": c.queue.slug,
            "consultation": c.queue.slug == CONSULTATION_QUEUE,
            "state": c.state,
            "contact_id": c.contact_id,
            "operator_id": c.operator_id,
            "operator": c.operator.display_name if c.operator else None,
            "last_replied_operator_id": c.last_replied_operator_id,
            "reason": c.reason.slug if c.reason else None,
            "reason_name": c.reason.name_en if c.reason else None,
            "closed_by_kind": c.closed_by_kind or None,
            "is_offline": c.is_offline,
            "created_at": stamp(c.created_at),
            "queued_at": stamp(c.queued_at),
            "assigned_at": stamp(c.assigned_at),
            "first_shopper_message_at": stamp(c.first_shopper_message_at),
            "response_clock_at": stamp(c.response_clock_at),
            "first_response_at": stamp(c.first_response_at),
            "last_shopper_message_at": stamp(c.last_shopper_message_at),
            "last_operator_reply_at": stamp(c.last_operator_reply_at),
            "closed_at": stamp(c.closed_at),
            "abandoned_at": stamp(c.abandoned_at),
            "transfers": c.transfers,  # type: ignore[attr-defined]
            "requeues": c.requeues,  # type: ignore[attr-defined]
            "rating_stars": rating.stars if rating else None,
            "rating_at": stamp(rating.created_at) if rating else None,
            "rating_operator_id": rating.operator_id if rating else None,
            "steps": [
                {
                    "kind": s.kind,
                    "at": stamp(s.at),
                    "operator_id": s.operator_id,
                    "queue_id": s.queue_id,
                    "note": s.note,
                }
                for s in c.steps.all()
            ],
        }


def message_rows(filters: HistoryFilters) -> Iterator[dict[str, Any]]:
    attachments = (
        Attachment.objects.filter(message=OuterRef("pk"))
        .order_by()
        .values("message")
        .annotate(n=Count("id"))
        .values("n")
    )
    messages = (
        Message.objects.filter(conversation__in=filters.apply(Conversation.objects.all()).values("pk"))
        .select_related("author")
        .annotate(attachment_count=Coalesce(Subquery(attachments, output_field=IntegerField()), 0))
        .order_by("conversation_id", "id")
    )
    for m in messages.iterator(chunk_size=CHUNK_ROWS):
        yield {
            "id": m.pk,
            "conversation_id": m.conversation_id,
            "connector": m.connector,
            "author_kind": m.author_kind,
            "author_id": m.author_id,
            "author": m.author.display_name if m.author else None,
            "is_note": m.is_note,
            "created_at": stamp(m.created_at),
            "edited_at": stamp(m.edited_at),
            "delivery_state": m.delivery_state or None,
            "attachments": m.attachment_count,  # type: ignore[attr-defined]
            "text": m.text,
        }


class _Echo:
    """A file whose write returns what it was given: ``csv.writer`` then yields lines."""

    def write(self, value: str) -> str:
        return value


def csv_safe(value: Any) -> Any:
    """Keep a spreadsheet from running a shopper's text as a formula (the JSON lines keep it exact)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return csv_safe(value)


def _chunks(rows: Iterable[dict[str, Any]], columns: list[str], file_format: str) -> Iterator[str]:
    """The file in pieces of ``CHUNK_ROWS`` rows."""
    writer = csv.writer(_Echo())
    piece: list[str] = [writer.writerow(columns)] if file_format == "csv" else []
    for row in rows:
        if file_format == "csv":
            piece.append(writer.writerow([_csv_cell(row[c]) for c in columns]))
        else:
            piece.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        if len(piece) >= CHUNK_ROWS:
            yield "".join(piece)
            piece = []
    if piece:
        yield "".join(piece)


async def _pulled_on_database_thread(chunks: Iterator[str]) -> AsyncIterator[str]:
    done = object()
    pull: Callable[[], Any] = sync_to_async(lambda: next(chunks, done), thread_sensitive=True)
    while (chunk := await pull()) is not done:
        yield chunk


def streamed(*, request: HttpRequest, table: str, file_format: str, filters: HistoryFilters) -> StreamingHttpResponse:
    rows = conversation_rows(filters) if table == "conversations" else message_rows(filters)
    columns = CONVERSATION_COLUMNS if table == "conversations" else MESSAGE_COLUMNS
    chunks = _chunks(rows, columns, file_format)
    body: Iterator[str] | AsyncIterator[str] = (
        _pulled_on_database_thread(chunks) if isinstance(request, ASGIRequest) else chunks
    )
    content_type = "text/csv; charset=utf-8" if file_format == "csv" else "application/x-ndjson; charset=utf-8"
    response = StreamingHttpResponse(body, content_type=content_type)
    name = f"{table}-{filters.date_from}-{filters.date_to}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
