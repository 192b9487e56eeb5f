"""Pre-shot in the shop API (``/api/shop/v1/``, the shop key): an order's suggestions and the help
search, exactly what the widget shows, so a shop can test its rules and articles from a script.

Added to ``orders.shop_api.shop_api`` by :class:`preshot.apps.PreshotConfig`, so it shares its auth and
its error shape.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import Http404, HttpRequest
from ninja import Path, Query, Router, Schema
from pydantic import Field

from kb.api import HelpAnswerOut, HelpSearchOut
from kb.search import QUERY_MAX_CHARS, search_articles
from orders.models import Order
from orders.shop_api import ERRORS
from preshot.selectors import suggestions_for

router: Router = Router(tags=["pre-shot suggestions"])


class ActionOut(Schema):
    kind: str
    label: str
    url: str


class SuggestionOut(Schema):
    rule_id: int
    question: str
    answer: HelpAnswerOut
    action: ActionOut | None


class StageOut(Schema):
    number: str
    status: str
    status_label: str
    stage_since: str


class SuggestionsOut(Schema):
    order: StageOut
    language: str
    suggestions: list[SuggestionOut]


class LanguageIn(Schema):
    lang: Literal["en", "ru"] = "en"


class ShopHelpSearchIn(Schema):
    q: Annotated[str, Field(max_length=QUERY_MAX_CHARS * 5)] = ""
    lang: Literal["en", "ru"] = "en"


@router.get(
    "/orders/{number}/suggestions",
    response={200: SuggestionsOut, **ERRORS},
    summary="The questions a shopper with this order sees first, with their answers and actions",
)
def order_suggestions(
    request: HttpRequest, number: Annotated[str, Path(max_length=100)], params: Query[LanguageIn]
) -> dict[str, Any]:
    """The order's stage and its two or three likeliest questions in ``lang``, best first, as the
    widget and the Telegram/VK buttons show them."""
    order = Order.objects.filter(number=number).first()
    if order is None:
        raise Http404
    return suggestions_for(order, params.lang).as_json(request.build_absolute_uri("/"))


@router.get("/help/search", response={200: HelpSearchOut, **ERRORS}, summary="Search the help articles as shoppers do")
def help_search(request: HttpRequest, params: Query[ShopHelpSearchIn]) -> dict[str, Any]:
    """The best three published answers to ``q`` in ``lang`` (word forms and typos welcome)."""
    answers = search_articles(params.q, params.lang)
    return {
        "query": params.q,
        "language": params.lang,
        "results": [a.as_json(request.build_absolute_uri("/")) for a in answers],
    }
