"""A customer's personal data in the workspace API: a manager exports it as JSON or erases it.

Mounted on the workspace's ``api`` (same auth, same error shape). Both calls are managers' only and
go through ``chat.actions.privacy``, which records who did what, and when.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from chat import actions
from chat.models import DataAuditRecord
from workspace.api_common import ERRORS, me

router: Router = Router(tags=["personal data"])


class DataAuditOut(Schema):
    id: int
    kind: str
    contact_id: int | None
    actor_name: str
    at: datetime
    summary: dict[str, Any]


def audit_payload(record: DataAuditRecord) -> dict[str, Any]:
    return {
        "id": record.pk,
        "kind": record.kind,
        "contact_id": record.contact_id,
        "actor_name": record.actor_name,
        "at": record.at,
        "summary": record.summary,
    }


@router.get(
    "/contacts/{contact_id}/export",
    response={200: dict, **ERRORS},
    summary="Download everything held about a customer (managers)",
)
def export_contact(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Details, identities and every conversation with its messages, attachments list, rating and
    questionnaire, as a JSON file. The export is recorded."""
    data = actions.do_export_contact(contact_id=contact_id, operator_id=me(request).pk)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="contact-{contact_id}.json"'
    return response


@router.post(
    "/contacts/{contact_id}/erase",
    response={200: DataAuditOut, **ERRORS},
    summary="Erase a customer's personal data (managers)",
)
def erase_contact(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    """Message texts, attachment files, rating comments, questionnaires, contact details and identities
    go; conversations and their times stay for the metrics. Refused (409) while a chat is open."""
    return audit_payload(actions.do_erase_contact(contact_id=contact_id, operator_id=me(request).pk))
