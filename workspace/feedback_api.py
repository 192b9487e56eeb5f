"""Ratings and stylist questionnaires in the workspace API: the customer panel and the managers' review list.

Mounted on the workspace's ``api`` (same session auth, same error shape). Reads only, except a
manager marking a flagged rating as reviewed, which goes through ``chat.actions``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from chat import actions
from chat.errors import Forbidden
from chat.models import Questionnaire, Rating
from chat.payloads import questionnaire_payload, rating_payload
from chat.questionnaire import answer_rows
from workspace import selectors
from workspace.api_common import ERRORS, PathId, me

router: Router = Router(tags=["feedback"])

FLAGGED_LIMIT = 100


@router.get(
    "/conversations/{conversation_id}/feedback", response={200: dict, **ERRORS}, summary="Rating and questionnaire"
)
def get_feedback(request: HttpRequest, conversation_id: PathId) -> dict[str, Any]:
    """The shopper's rating of this chat and their stylist questionnaire, labelled in your language."""
    operator = me(request)
    conversation = selectors.access_conversation(conversation_id=conversation_id, operator=operator)
    rating = Rating.objects.filter(conversation=conversation).first()
    questionnaire = Questionnaire.objects.filter(conversation=conversation, submitted_at__isnull=False).first()
    return {
        "conversation_id": conversation.pk,
        "is_consultation": conversation.queue.slug == "stylist",
        "rating": rating_payload(rating) if rating else None,
        "questionnaire": (
            {**questionnaire_payload(questionnaire), "rows": answer_rows(questionnaire.answers, operator.language)}
            if questionnaire
            else None
        ),
    }


@router.get("/ratings/flagged", response={200: list[dict], **ERRORS}, summary="1-2 star ratings to review")
def list_flagged(request: HttpRequest) -> list[dict[str, Any]]:
    """Managers only: low ratings nobody has reviewed yet, newest first."""
    if not me(request).is_manager:
        raise Forbidden("Only managers review ratings.")
    ratings = (
        Rating.objects.filter(flagged=True, reviewed_at__isnull=True)
        .select_related("conversation__contact", "operator")
        .order_by("-created_at")[:FLAGGED_LIMIT]
    )
    return [
        {
            **rating_payload(r),
            "connector": r.conversation.connector,
            "contact_name": r.conversation.contact.name,
            "operator_name": r.operator.display_name if r.operator else "",
        }
        for r in ratings
    ]


@router.post("/ratings/{conversation_id}/review", response={200: dict, **ERRORS}, summary="Mark a rating reviewed")
def review(request: HttpRequest, conversation_id: PathId) -> dict[str, Any]:
    return rating_payload(actions.do_review_rating(conversation_id=conversation_id, operator_id=me(request).pk))
