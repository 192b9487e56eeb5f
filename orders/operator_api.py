"""The orders beside a chat, in the workspace API (``/api/``, the operator's session or token).

Whoever may read the conversation sees its customer's orders (``workspace.selectors.access_conversation``);
the operator holding the chat (or a manager) may say which order it is about.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from chat.errors import Forbidden
from orders.actions import do_pick_conversation_order
from orders.selectors import conversation_orders
from workspace import selectors
from workspace.api_common import ERRORS, PathId, me

router: Router = Router(tags=["orders"])


class ConversationOrdersOut(Schema):
    conversation_id: int
    contact_id: int
    # The order the chat is about: the shopper's (or an operator's) pick, else the likeliest.
    about_order_id: int | None
    about_reason: str | None
    orders: list[dict[str, Any]]


@router.get(
    "/conversations/{conversation_id}/orders",
    response={200: ConversationOrdersOut, **ERRORS},
    summary="The customer's orders, and which one the chat is about",
)
def get_conversation_orders(request: HttpRequest, conversation_id: PathId) -> dict[str, Any]:
    """Newest first, with items, amounts, tracking and status history; ``about_reason`` is
    ``shopper``, ``operator`` or ``likeliest`` (the most recent order still moving)."""
    conversation = selectors.access_conversation(conversation_id=conversation_id, operator=me(request))
    return conversation_orders(conversation)


@router.post(
    "/conversations/{conversation_id}/orders/{order_id}/about",
    response={200: ConversationOrdersOut, **ERRORS},
    summary="Say which of the customer's orders the chat is about",
)
def pick_order(request: HttpRequest, conversation_id: PathId, order_id: PathId) -> dict[str, Any]:
    """For the operator holding the chat, or a manager; the order must be this customer's."""
    operator = me(request)
    conversation = selectors.access_conversation(conversation_id=conversation_id, operator=operator)
    if conversation.operator_id != operator.pk and not operator.is_manager:
        raise Forbidden()
    do_pick_conversation_order(conversation_id=conversation.pk, order_id=order_id, chosen_by="operator")
    return conversation_orders(conversation)
