"""The consultation form's signed link: a token naming one conversation, checked on use.

The URL around the token belongs to the page (``workspace/questionnaire/``) and each connector
builds its shopper's link through its registry entry (``chat.registry``); ``chat`` only signs.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing

from chat.errors import LinkExpired, LinkNotValid

LINK_SALT = "switchboard.questionnaire"


def questionnaire_token(conversation_id: int) -> str:
    """A token naming one conversation, signed with SECRET_KEY and timestamped (expiry is checked on use)."""
    return signing.TimestampSigner(salt=LINK_SALT).sign_object({"c": conversation_id}, compress=False)


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
