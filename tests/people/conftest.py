"""Customer 360 fixtures: a picture of every row a merge may move, to compare before and after."""

from __future__ import annotations

from typing import Any

from chat.models import Contact, ContactMerge, ContactNote, Conversation, Identity


def snapshot() -> dict[str, Any]:
    """Every contact's details and where every identity, conversation and note belongs."""
    return {
        "contacts": list(
            Contact.objects.order_by("pk").values(
                "pk",
                "name",
                "email",
                "email_verified",
                "phone",
                "phone_verified",
                "language",
                "customer_id",
                "merged_into_id",
                "erased_at",
            )
        ),
        "identities": list(
            Identity.objects.order_by("pk").values_list("pk", "contact_id", "connector", "external_id", "details")
        ),
        "conversations": list(
            Conversation.objects.order_by("pk").values_list("pk", "contact_id", "state", "operator_id")
        ),
        "notes": list(ContactNote.objects.order_by("pk").values_list("pk", "contact_id", "author_id", "text")),
    }


def live(merge: ContactMerge) -> bool:
    return merge.undone_at is None
