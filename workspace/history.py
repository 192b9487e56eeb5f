"""The conversation history in the workspace: the list, a read-only transcript, a manager's reopen,
write-again and export (docs/history.md).

Thin views: reads go through ``workspace.history_filters`` and the selectors (who may read what is
``workspace.selectors.readable_by``), writes through ``chat.actions``, files through
``workspace.history_export``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from chat.actions import do_reopen_conversation, do_write_again
from chat.actions.history import REOPENED, WRITTEN_AGAIN
from chat.errors import ChatError, Forbidden, InvalidForm, NotFound
from chat.models import (
    NO_FIRST_REPLY,
    Connector,
    Conversation,
    ConversationStep,
    Message,
    Operator,
    Rating,
    StepKind,
)
from chat.payloads import attachment_payload
from workspace import history_export
from workspace.history_filters import HistoryFilters, filter_choices, history_page, parse_history_filters
from workspace.selectors import access_conversation, readable_by
from workspace.views import activate_operator_language

TRANSCRIPT_MESSAGES_MAX = 5000


def _operator(request: HttpRequest) -> Operator:
    operator = Operator.objects.filter(user_id=request.user.pk or 0).first()
    if operator is None:
        raise PermissionDenied("Operators only.")
    activate_operator_language(request, operator)
    return operator


def _manager(request: HttpRequest) -> Operator:
    operator = _operator(request)
    if not operator.is_manager:
        raise PermissionDenied("Managers only.")
    return operator


# --- The timeline of a transcript ------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a transcript: a message, or a step (queued, assigned, transfer, close, rating)."""

    at: datetime
    message: Message | None = None
    step_text: str = ""
    step_kind: str = ""
    attachments: tuple[dict[str, Any], ...] = ()


def step_text(step: ConversationStep, conversation: Conversation) -> str:
    """A step as the operator reads it, in the active language."""
    operator = step.operator.display_name if step.operator else ""
    queue = step.queue.localized_name() if step.queue else ""
    if step.kind == StepKind.CREATED:
        if step.note == WRITTEN_AGAIN:
            return _("A manager wrote to the customer again.")
        return _("Opened on %(connector)s.") % {"connector": Connector(conversation.connector).label}
    if step.kind == StepKind.QUEUED:
        return _("Queued in %(queue)s.") % {"queue": queue}
    if step.kind == StepKind.ASSIGNED:
        if step.note == REOPENED:
            return _("Reopened by %(operator)s.") % {"operator": operator}
        return _("Assigned to %(operator)s.") % {"operator": operator}
    if step.kind == StepKind.TRANSFERRED:
        if step.operator:
            return _("Transferred to %(operator)s.") % {"operator": operator}
        return _("Transferred to the %(queue)s queue.") % {"queue": queue}
    if step.kind == StepKind.REQUEUED:
        if step.note == NO_FIRST_REPLY:
            return _("Back to the queue: no first reply in time.")
        return _("Back to the queue.")
    if step.kind == StepKind.ABANDONED:
        return _("Closed before an operator answered.")
    if step.kind == StepKind.CLOSED:
        return _("Closed.")
    return step.kind


def rating_text(rating: Rating) -> str:
    return _("Rated %(stars)s of 5.") % {"stars": rating.stars}


def timeline(conversation: Conversation) -> list[TimelineEntry]:
    """Messages and steps in time (a step before the messages of the same instant)."""
    steps = ConversationStep.objects.filter(conversation=conversation).select_related("operator", "queue")
    entries = [
        TimelineEntry(at=step.at, step_text=step_text(step, conversation), step_kind=step.kind)
        for step in steps.order_by("at", "id")
    ]
    rating = Rating.objects.filter(conversation=conversation).first()
    if rating is not None:
        entries.append(TimelineEntry(at=rating.created_at, step_text=rating_text(rating), step_kind="rated"))
    rows = (
        Message.objects.filter(conversation=conversation)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("id")[:TRANSCRIPT_MESSAGES_MAX]
    )
    entries += [
        TimelineEntry(
            at=message.created_at,
            message=message,
            attachments=tuple(attachment_payload(a) for a in message.attachments.all()),
        )
        for message in rows
    ]
    # Stable: steps were added first, so at the same instant a step comes before a message.
    return sorted(entries, key=lambda entry: (entry.at, entry.message is not None))


def linked_conversations(conversation: Conversation, operator: Operator) -> dict[str, Conversation | None]:
    """The chat before this one and the one that followed it, where the operator may read them."""
    readable = Conversation.objects.filter(readable_by(operator))
    return {
        "previous": readable.filter(pk=conversation.previous_id).first() if conversation.previous_id else None,
        "next": readable.filter(previous_id=conversation.pk).order_by("id").first(),
    }


# --- Pages -----------------------------------------------------------------------------------------


def _filters_or_errors(request: HttpRequest) -> tuple[HistoryFilters, dict[str, list[str]]]:
    try:
        return parse_history_filters(request.GET), {}
    except InvalidForm as exc:
        return HistoryFilters(), exc.errors


@login_required
@require_GET
def history_list(request: HttpRequest) -> HttpResponse:
    operator = _operator(request)
    filters, errors = _filters_or_errors(request)
    cursor = request.GET.get("cursor", "")[:200]
    try:
        page = history_page(operator=operator, filters=filters, cursor=cursor or None)
    except InvalidForm as exc:
        errors = {**errors, **exc.errors}
        page = history_page(operator=operator, filters=filters)
    return render(
        request,
        "workspace/history_list.html",
        {
            "operator": operator,
            "page": page,
            "filters": filters,
            "form": {field: request.GET.get(field, "")[:40] for field in request.GET},
            "errors": errors,
            "choices": filter_choices(),
            "paged": bool(cursor),
            "section": "list",
            "first_page_query": urlencode(filters.as_params()),
            "next_query": urlencode({**filters.as_params(), "cursor": page.next_cursor}) if page.next_cursor else "",
        },
    )


@login_required
@require_GET
def history_transcript(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The whole chat read-only; a manager also sees how to reopen it or write to the shopper again."""
    operator = _operator(request)
    try:
        conversation = access_conversation(conversation_id=conversation_id, operator=operator)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
    entries = timeline(conversation)
    return render(
        request,
        "workspace/history_transcript.html",
        {
            "operator": operator,
            "conversation": conversation,
            "entries": entries,
            "truncated": sum(1 for e in entries if e.message) >= TRANSCRIPT_MESSAGES_MAX,
            "linked": linked_conversations(conversation, operator),
            "reason_name": conversation.reason.localized_name() if conversation.reason else "",
            "rating": Rating.objects.filter(conversation=conversation).first(),
            "can_reopen": operator.is_manager and conversation.state == "closed" and not conversation.erased_at,
            "max_chars": settings.SWITCHBOARD_MESSAGE_MAX_CHARS,
        },
    )


def _manager_post(request: HttpRequest) -> Operator | HttpResponseBase:
    """A manager's POST; the role is checked before the method, so an operator learns nothing."""
    operator = _manager(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return operator


@login_required
def reopen(request: HttpRequest, conversation_id: int) -> HttpResponseBase:
    manager = _manager_post(request)
    if not isinstance(manager, Operator):
        return manager
    try:
        do_reopen_conversation(conversation_id=conversation_id, operator_id=manager.pk)
    except ChatError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("history-transcript", args=[conversation_id]))
    messages.success(request, _("The chat is open again and yours: it is in your workspace."))
    return redirect(reverse("history-transcript", args=[conversation_id]))


@login_required
def write_again(request: HttpRequest, conversation_id: int) -> HttpResponseBase:
    manager = _manager_post(request)
    if not isinstance(manager, Operator):
        return manager
    try:
        message = do_write_again(
            conversation_id=conversation_id, operator_id=manager.pk, text=request.POST.get("text", "")
        )
    except ChatError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("history-transcript", args=[conversation_id]))
    messages.success(request, _("Sent. The new chat is yours: it is in your workspace."))
    return redirect(reverse("history-transcript", args=[message.conversation_id]))


# --- Export ----------------------------------------------------------------------------------------


@login_required
@require_GET
def export_page(request: HttpRequest) -> HttpResponse:
    manager = _manager(request)
    return render(
        request,
        "workspace/history_export.html",
        {"choices": filter_choices(), "operator": manager, "section": "export"},
    )


@login_required
@require_GET
def export_file(request: HttpRequest, table: str, file_format: str) -> HttpResponseBase:
    """Raw conversations or messages for a date range (and the list's filters), streamed."""
    _manager(request)
    if table not in history_export.TABLES or file_format not in history_export.FORMATS:
        raise Http404("No such export.")
    try:
        filters = parse_history_filters(request.GET)
    except InvalidForm as exc:
        return _bad_export(exc)
    if filters.date_from is None or filters.date_to is None:
        return _bad_export(InvalidForm({"from": [_("Give the start and the end date of the export.")]}))
    return history_export.streamed(request=request, table=table, file_format=file_format, filters=filters)


def _bad_export(exc: InvalidForm) -> HttpResponse:
    text = exc.message + "\n" + "\n".join(f"{field}: {' '.join(m)}" for field, m in exc.errors.items())
    return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")
