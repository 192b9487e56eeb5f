"""The help search in the operator API (``GET /api/kb/search``): exactly what the widget shows.

Mounted on the workspace's ``api`` (same auth, same error shape). A shop's script can call it with an
operator token to test its articles; when the shop API exists it gets the same call.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from kb.search import QUERY_MAX_CHARS, search_articles
from workspace.api_common import ERRORS

router: Router = Router(tags=["knowledge base"])


class HelpAnswerOut(Schema):
    article_id: int
    key: str
    language: str
    title: str
    summary: str
    url: str


class HelpSearchOut(Schema):
    query: str
    language: str
    results: list[HelpAnswerOut]


class HelpSearchIn(Schema):
    q: Annotated[str, Field(max_length=QUERY_MAX_CHARS * 5)] = ""
    lang: Literal["en", "ru"] = "en"


@router.get(
    "/kb/search",
    response={200: HelpSearchOut, **ERRORS},
    summary="Search the knowledge base as shoppers do (best three answers)",
)
def kb_search(request: HttpRequest, params: Query[HelpSearchIn]) -> dict[str, Any]:
    """Published articles in ``lang`` that answer ``q`` (word forms and typos welcome), best first:
    the same three the widget shows, with their public links."""
    answers = search_articles(params.q, params.lang)
    return {
        "query": params.q,
        "language": params.lang,
        "results": [a.as_json(request.build_absolute_uri("/")) for a in answers],
    }
