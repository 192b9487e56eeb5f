"""What the shopper is asked after a chat, and the consultation form's signed link.

Connectors register a rating prompt per connector at start-up (as with ``chat.outbound``); ``chat``
never imports them. The widget needs none: it hears ``rating.requested`` on its live stream.
Texts for shoppers live here in English and Russian so every connector says the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse

from chat.errors import LinkExpired, LinkNotValid
from chat.models import Conversation, Questionnaire, Rating

RatingPrompt = Callable[[int], None]

_prompts: dict[str, RatingPrompt] = {}

STYLIST_QUEUE = "stylist"
LINK_SALT = "switchboard.questionnaire"


def register_rating_prompt(connector: str, prompt: RatingPrompt) -> None:
    """``prompt(conversation_id)`` asks the shopper for 1-5 stars on that connector (enqueue, don't block)."""
    _prompts[connector] = prompt


def rating_prompt_for(connector: str) -> RatingPrompt | None:
    return _prompts.get(connector)


def schedule_rating_request(conversation_id: int) -> None:
    """Called inside ``do_close``: ask for the rating once the close has committed.

    ``robust``: a connector failing to send the prompt must not turn a committed close into an error.
    """
    transaction.on_commit(lambda: _request_rating(conversation_id), robust=True)


def _request_rating(conversation_id: int) -> None:
    from chat.actions.feedback import do_request_rating

    do_request_rating(conversation_id=conversation_id)


SHOPPER_TEXTS: dict[str, dict[str, str]] = {
    "rate_prompt": {
        "en": "How did we do? Rate this chat from 1 to 5 stars.",
        "ru": "Как мы справились? Оцените чат от 1 до 5 звёзд.",
    },
    "rated_thanks": {
        "en": "Thank you for your rating! If you like, write a comment in your next message.",
        "ru": "Спасибо за оценку! Если хотите, напишите комментарий следующим сообщением.",
    },
    "rated_thanks_widget": {
        "en": "Thank you for your rating!",
        "ru": "Спасибо за оценку!",
    },
    "comment_thanks": {
        "en": "Thank you, your comment is saved. Write again any time to start a new chat.",
        "ru": "Спасибо, комментарий сохранён. Напишите снова, если понадобится помощь.",
    },
    "already_rated": {
        "en": "Thank you, this conversation is already rated.",
        "ru": "Спасибо, этот чат уже оценён.",
    },
    "not_yours": {
        "en": "Only the person who wrote in this chat can rate it.",
        "ru": "Оценить чат может только тот, кто в нём писал.",
    },
    "still_open": {
        "en": "The chat is still open: you can rate it once it is closed.",
        "ru": "Чат ещё открыт: оценить его можно после завершения.",
    },
    "window_passed": {
        "en": "Ratings for this chat are closed: it ended more than {days} days ago.",
        "ru": "Оценить этот чат уже нельзя: он завершился больше {days} дн. назад.",
    },
    "nothing_to_rate": {
        "en": "There is nothing to rate: no operator answered in this chat.",
        "ru": "Оценивать нечего: в этом чате не было ответа оператора.",
    },
    "stars_range": {
        "en": "Choose from 1 to 5 stars.",
        "ru": "Выберите от 1 до 5 звёзд.",
    },
    "comment_too_long": {
        "en": "The comment is longer than {limit} characters.",
        "ru": "Комментарий длиннее {limit} символов.",
    },
    "comment_empty": {
        "en": "The comment is empty.",
        "ru": "Комментарий пустой.",
    },
    "already_commented": {
        "en": "Thank you, this rating already has a comment.",
        "ru": "Спасибо, комментарий к этой оценке уже есть.",
    },
    "consultation_intro": {
        "en": "Welcome to the free stylist consultation! Please fill in a short questionnaire first: {url}",
        "ru": "Добро пожаловать на бесплатную консультацию стилиста! Сначала заполните короткую анкету: {url}",
    },
    "consultation_handover": {
        "en": "This chat has moved to the stylist consultation: a stylist will continue it here.",
        "ru": "Чат передан на консультацию стилиста: стилист продолжит его здесь.",
    },
    "consultation_submitted": {
        "en": "The stylist already has your questionnaire and will answer here. To change your answers: {url}",
        "ru": "Стилист уже получил вашу анкету и ответит здесь. Изменить ответы можно по ссылке: {url}",
    },
    "consultation_button": {
        "en": "Stylist consultation",
        "ru": "Консультация стилиста",
    },
    "questionnaire_received": {
        "en": "Thank you, the stylist has your questionnaire and will answer here.",
        "ru": "Спасибо, стилист получил анкету и ответит здесь.",
    },
    "consultation_closed": {
        "en": "This consultation is closed. Start a new one from the chat.",
        "ru": "Эта консультация завершена. Начните новую в чате.",
    },
    "link_not_valid": {
        "en": "This link is not valid. Ask the chat for a new one.",
        "ru": "Ссылка недействительна. Попросите новую в чате.",
    },
    "link_expired": {
        "en": "This link has expired. Ask the chat for a new one.",
        "ru": "Срок действия ссылки истёк. Попросите новую в чате.",
    },
}


def language_of(code: str | None) -> str:
    """Russian or English: the two languages shoppers write in."""
    return "ru" if (code or "").lower().startswith("ru") else "en"


def shopper_text(key: str, language: str | None = None, **values: Any) -> str:
    return SHOPPER_TEXTS[key][language_of(language)].format(**values)


# --- The questionnaire's signed link ----------------------------------------------------------------


def questionnaire_token(conversation_id: int) -> str:
    """A token naming one conversation, signed with SECRET_KEY and timestamped (expiry is checked on use)."""
    return signing.TimestampSigner(salt=LINK_SALT).sign_object({"c": conversation_id}, compress=False)


def questionnaire_path(conversation_id: int) -> str:
    return reverse("questionnaire-form", kwargs={"token": questionnaire_token(conversation_id)})


def questionnaire_url(conversation_id: int) -> str:
    """The absolute link sent on Telegram and VK (SITE_URL is the public address)."""
    return settings.SITE_URL.rstrip("/") + questionnaire_path(conversation_id)


def conversation_id_from_token(token: str) -> int:
    """The conversation a link was made for; a forged link and an expired one are refused apart."""
    max_age = settings.SWITCHBOARD_QUESTIONNAIRE_LINK_HOURS * 3600
    try:
        data = signing.TimestampSigner(salt=LINK_SALT).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        data = signing.TimestampSigner(salt=LINK_SALT).unsign_object(token)
        raise LinkExpired(conversation_id=data.get("c") if isinstance(data, dict) else None) from exc
    except signing.BadSignature as exc:
        raise LinkNotValid() from exc
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        raise LinkNotValid()
    return data["c"]


# --- Shapes for the workspace ------------------------------------------------------------------------


def rating_payload(rating: Rating) -> dict[str, Any]:
    return {
        "conversation_id": rating.conversation_id,
        "stars": rating.stars,
        "comment": rating.comment,
        "operator_id": rating.operator_id,
        "flagged": rating.flagged,
        "created_at": rating.created_at.isoformat(),
        "commented_at": rating.commented_at.isoformat() if rating.commented_at else None,
        "reviewed_at": rating.reviewed_at.isoformat() if rating.reviewed_at else None,
    }


def questionnaire_payload(questionnaire: Questionnaire) -> dict[str, Any]:
    return {
        "conversation_id": questionnaire.conversation_id,
        "answers": questionnaire.answers,
        "photo_url": (
            reverse("questionnaire-photo", args=[questionnaire.conversation_id]) if questionnaire.photo else None
        ),
        "submitted_at": questionnaire.submitted_at.isoformat() if questionnaire.submitted_at else None,
    }


def is_consultation(conversation: Conversation) -> bool:
    return conversation.queue.slug == STYLIST_QUEUE
