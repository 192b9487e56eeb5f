"""The widget's side of ratings and consultations: the frames it is sent and its ``rate`` frame.

The widget needs no prompt of its own: it hears ``rating.requested`` on its live stream, and on a
reload or reconnect :func:`feedback_frames` brings back the stars or the form still to fill in.
"""

from __future__ import annotations

from typing import Any

from chat.actions import do_rate_conversation
from chat.actions.consultations import STYLIST_QUEUE
from chat.actions.ratings import rating_is_due
from chat.models import Connector, Conversation, ConversationState, Questionnaire
from chat.texts import shopper_text
from workspace.questionnaire.links import questionnaire_path


def feedback_frames(conversation_id: int | None) -> list[dict[str, Any]]:
    """What the widget should show beside a conversation it (re)follows: stars to give, a form to fill.

    Sent after the ``state`` frame, so a reload or a reconnect brings the rating or the
    questionnaire back until the shopper has answered.
    """
    if conversation_id is None:
        return []
    conversation = Conversation.objects.select_related("queue").filter(pk=conversation_id).first()
    if conversation is None:
        return []
    if conversation.state == ConversationState.CLOSED:
        if rating_is_due(conversation):
            return [rating_frame(conversation.pk, conversation.language)]
        return []
    if (
        conversation.queue.slug == STYLIST_QUEUE
        and not Questionnaire.objects.filter(conversation_id=conversation.pk, submitted_at__isnull=False).exists()
    ):
        return [questionnaire_frame(conversation.pk)]
    return []


def rating_frame(conversation_id: int, language: str) -> dict[str, Any]:
    return {
        "type": "rating.requested",
        "conversation_id": conversation_id,
        "prompt": shopper_text("rate_prompt", language),
    }


def questionnaire_frame(conversation_id: int) -> dict[str, Any]:
    """The form's path (the widget prefixes its own server's origin) for an inline frame."""
    return {"type": "questionnaire", "conversation_id": conversation_id, "url": questionnaire_path(conversation_id)}


def rate(*, visitor_id: str, conversation_id: int, stars: object, comment: object) -> dict[str, Any]:
    """The ``rate`` frame: stars and the optional comment at once; refusals raise ``ChatError``."""
    rating = do_rate_conversation(
        conversation_id=conversation_id,
        connector=Connector.WIDGET,
        sender_id=visitor_id,
        stars=stars,
        comment=comment if isinstance(comment, str) else "",
    )
    language = Conversation.objects.filter(pk=conversation_id).values_list("language", flat=True).first()
    return {
        "type": "rated",
        "conversation_id": conversation_id,
        "stars": rating.stars,
        "text": shopper_text("rated_thanks_widget", language),
    }
