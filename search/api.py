"""``GET /api/search``: the search screen's results as JSON, for the workspace API (same auth, same errors).

Registered on the workspace's ``api`` by ``SearchConfig.ready``; the workspace does not import it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from chat.errors import InvalidInput
from search.forms import SearchForm
from search.selectors import PAGE_SIZE, search
from workspace.api import api
from workspace.api_common import ERRORS, me
from workspace.history_api import FilterQuery, filter_params
from workspace.history_filters import parse_history_filters

router: Router = Router(tags=["search"])
_registered = False


class SearchQuery(FilterQuery):
    """The history list's filters (``GET /api/history/conversations``), but the dates are the messages'."""

    q: str = Field("", max_length=200, description='Words (all must match), "a phrase", prefix*')
    date_from: dt.date | None = Field(
        None, alias="from", description="Messages written on or after this day (site time zone)"
    )
    date_to: dt.date | None = Field(None, alias="to", description="Messages written on or before this day, included")
    before: str = Field("", max_length=60, description="next_cursor of the previous page")


class MessageHitOut(Schema):
    message_id: int
    conversation_id: int
    created_at: dt.datetime
    author_kind: str
    author_name: str
    is_note: bool
    connector: str
    contact_name: str
    headline_html: str = Field(description="The matching passage, HTML-escaped, hits in <mark>")
    url: str = Field(description="The transcript at this message")


class ConversationHitOut(Schema):
    conversation_id: int
    created_at: dt.datetime
    connector: str
    state: str
    contact_name_html: str = Field(description="The customer's name, HTML-escaped, hits in <mark>")
    reason: str
    url: str


class SearchOut(Schema):
    messages: list[MessageHitOut]
    conversations: list[ConversationHitOut] = Field(description="Customer name or reason matches (first page)")
    next_cursor: str | None = Field(description="Pass as before= for the next page; null on the last")
    only_stop_words: bool = Field(description="Every word was too common to search for")


@router.get("/search", response={200: SearchOut, **ERRORS}, summary="Search all history")
def search_history(request: HttpRequest, params: Query[SearchQuery]) -> dict[str, Any]:
    """Full-text search over every message an operator may read (a manager: all), newest first,
    twenty a page; Russian and English word forms match ("заказы" finds "заказ"). On the first page
    also the conversations whose customer name or reason matches."""
    form = SearchForm({"q": params.q, "before": params.before})
    if not form.is_valid():
        raise InvalidInput("; ".join(f"{name}: {' '.join(map(str, errors))}" for name, errors in form.errors.items()))
    results = search(
        operator=me(request),
        text=form.cleaned_data["q"],
        filters=parse_history_filters(filter_params(params)),
        before=form.cleaned_data["before"],
        limit=PAGE_SIZE,
    )
    return {
        "messages": [{**hit.__dict__, "headline_html": str(hit.headline)} for hit in results.messages],
        "conversations": [
            {**hit.__dict__, "contact_name_html": str(hit.contact_name)} for hit in results.conversations
        ],
        "next_cursor": results.next_cursor,
        "only_stop_words": results.only_stop_words,
    }


def register() -> None:
    """Mount the router on the workspace API once (``ready`` may run again in some test setups)."""
    global _registered
    if _registered:
        return
    api.add_router("", router)
    _registered = True
