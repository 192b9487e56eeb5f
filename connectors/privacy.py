"""Raw Telegram and VK payloads hold names and texts: erased with their contact, and after retention."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from chat.models import Connector
from chat.privacy import ErasureScope
from connectors.models import RawUpdate

# Where each platform's payload names the user who wrote (Telegram ``from.id``, VK ``from_id``/``user_id``).
SENDER_PATHS: dict[str, list[str]] = {
    Connector.TELEGRAM: [
        "payload__message__from__id",
        "payload__edited_message__from__id",
        "payload__callback_query__from__id",
        "payload__my_chat_member__from__id",
    ],
    Connector.VK: ["payload__object__message__from_id", "payload__object__user_id", "payload__object__from_id"],
}


def erase_raw_updates_of(scope: ErasureScope) -> int:
    """Delete the stored updates sent by these identities (already processed into messages)."""
    query = Q()
    for connector, external_id in scope.identities:
        if connector in SENDER_PATHS and external_id.lstrip("-").isdigit():
            for path in SENDER_PATHS[connector]:
                query |= Q(connector=connector, **{path: int(external_id)})
    if not query:
        return 0
    return RawUpdate.objects.filter(query).delete()[0]


def erase_raw_updates_before(cutoff: datetime) -> int:
    """The raw log past the retention period goes entirely (its messages live in conversations)."""
    return RawUpdate.objects.filter(received_at__lt=cutoff).delete()[0]
