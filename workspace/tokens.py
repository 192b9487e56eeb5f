"""API tokens for scripts: a signed operator id, revoked by changing that operator's password.

No table: the token is ``signing.dumps`` of the operator id and a fingerprint of the password hash,
so it stays valid until the password (or SECRET_KEY) changes. Issue one with
``manage.py issue_api_token <login>`` and send it as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from chat.models import Operator

TOKEN_SALT = "workspace.api-token"


def _password_fingerprint(operator: Operator) -> str:
    return salted_hmac(TOKEN_SALT, operator.user.password).hexdigest()[:16]


def issue_api_token(operator: Operator) -> str:
    return signing.dumps({"operator": operator.pk, "password": _password_fingerprint(operator)}, salt=TOKEN_SALT)


def operator_for_api_token(token: str) -> Operator | None:
    """The operator a token was issued to, or None if it is forged, altered or revoked."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    operator_id = data.get("operator")
    if operator_id is None:
        return None
    operator = Operator.objects.select_related("user").filter(pk=operator_id, user__is_active=True).first()
    if operator is None or not constant_time_compare(str(data.get("password")), _password_fingerprint(operator)):
        return None
    return operator
