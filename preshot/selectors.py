"""What a shopper is offered for an order: its stage and the likeliest questions, each with its
answer in the shopper's language and the action that fixes it, where the order still allows it.

One shape for every client (the widget, Telegram and VK buttons, the shop API), so a shop's script
sees exactly what shoppers see. Three queries whatever the number of orders: rules, orders, articles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone, translation

from chat.models import Identity
from kb.models import ArticleTranslation
from kb.search import HelpAnswer, answer_for, clean_language
from orders.models import Order, OrderStatus
from orders.selectors import family_of, likeliest_order
from preshot.models import ActionKind, CountsFrom, Rule

MAX_QUESTIONS = 3
NOT_SHIPPED = (OrderStatus.PLACED, OrderStatus.PAID)
# Which statuses allow each action: a shipped parcel's address cannot change any more.
ACTION_STATUSES: dict[str, tuple[str, ...]] = {
    ActionKind.TRACK: (OrderStatus.SHIPPED,),
    ActionKind.CHANGE_ADDRESS: NOT_SHIPPED,
    ActionKind.CANCEL: NOT_SHIPPED,
    ActionKind.START_RETURN: (OrderStatus.DELIVERED,),
    ActionKind.REPORT_MISSING: (OrderStatus.DELIVERED,),
    ActionKind.REFUND_STATUS: (
        OrderStatus.CANCELLED,
        OrderStatus.RETURN_REQUESTED,
        OrderStatus.RETURNED,
        OrderStatus.REFUNDED,
    ),
}


@dataclass(frozen=True)
class Action:
    kind: str
    label: str
    url: str


@dataclass(frozen=True)
class Suggestion:
    rule_id: int
    question: str
    answer: HelpAnswer
    action: Action | None

    def as_json(self, base_url: str) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "question": self.question,
            "answer": self.answer.as_json(base_url),
            "action": None if self.action is None else vars(self.action),
        }


@dataclass(frozen=True)
class OrderSuggestions:
    order: Order
    language: str
    days: int
    suggestions: list[Suggestion] = field(default_factory=list)

    def as_json(self, base_url: str) -> dict[str, Any]:
        with translation.override(self.language):  # the stage in the asked language, like the questions
            status_label = str(OrderStatus(self.order.status).label)
        return {
            "order": {
                "number": self.order.number,
                "status": self.order.status,
                "status_label": status_label,
                "stage_since": self.order.stage_since().isoformat(),
            },
            "language": self.language,
            "suggestions": [s.as_json(base_url) for s in self.suggestions],
        }


def days_since(order: Order, counts_from: str, now: datetime) -> int | None:
    """Whole days since the order was placed (the Back Market steps: day 0, 3, 5, 7, 8, 9+), since
    its current status began, or since the carrier's promised delivery time passed (None while it has
    not, or the shop gave none: "late" is never guessed)."""
    if counts_from == CountsFrom.PROMISED:
        promised = order.promised_delivery_at
        if promised is None or now < promised:
            return None
        return (now - promised).days
    placed = order.placed_at or order.status_changed_at
    since = placed if counts_from == CountsFrom.ORDER else order.stage_since()
    return max(0, (now - since).days)


def action_for(kind: str, order: Order) -> Action | None:
    """The action's link, or None when the order's status no longer allows it or the shop has no
    page for it (``SWITCHBOARD_SHOP_ACTION_URLS``: kind -> URL with ``{number}``)."""
    if not kind or order.status not in ACTION_STATUSES.get(kind, ()):
        return None
    if kind == ActionKind.TRACK:
        url = order.tracking_url
    else:
        template = settings.SWITCHBOARD_SHOP_ACTION_URLS.get(kind, "")
        url = template.replace("{number}", order.number) if template else ""
    return Action(kind, str(ActionKind(kind).label), url) if url else None


def active_rules() -> list[Rule]:
    return list(Rule.objects.filter(active=True).order_by("-priority", "id"))


def suggestions_for(
    order: Order,
    language: str,
    *,
    now: datetime | None = None,
    rules: Sequence[Rule] | None = None,
    limit: int = MAX_QUESTIONS,
) -> OrderSuggestions:
    """The ``limit`` likeliest questions for ``order`` in ``language``; a rule whose article has no
    published translation in that language is skipped, so a shopper never gets a dead answer."""
    language, now = clean_language(language), now or timezone.now()
    matching = [
        rule
        for rule in (active_rules() if rules is None else rules)
        if rule.matches(order.status, days_since(order, rule.counts_from, now))
    ]
    keys = {rule.article_key for rule in matching}
    translations = {
        t.article.key: t
        for t in ArticleTranslation.objects.filter(
            article__key__in=keys, language=language, published=True
        ).select_related("article")
    }
    suggestions: list[Suggestion] = []
    seen: set[str] = set()
    with translation.override(language):  # the actions' labels, in the asked language
        _add_suggestions(suggestions, seen, matching, translations, order, language, limit)
    return OrderSuggestions(order, language, days_since(order, CountsFrom.STAGE, now) or 0, suggestions)


def _add_suggestions(
    suggestions: list[Suggestion],
    seen: set[str],
    matching: Sequence[Rule],
    translations: dict[str, ArticleTranslation],
    order: Order,
    language: str,
    limit: int,
) -> None:
    for rule in matching:
        translation = translations.get(rule.article_key)
        if translation is None or rule.article_key in seen:
            continue
        seen.add(rule.article_key)
        answer = answer_for(translation, rule.article_key)
        suggestions.append(Suggestion(rule.pk, rule.question(language), answer, action_for(rule.action, order)))
        if len(suggestions) == limit:
            break


def suggestions_for_contact(
    contact_ids: Sequence[int], language: str, *, now: datetime | None = None
) -> OrderSuggestions | None:
    """For a shopper opening the widget: their likeliest order (the newest still moving, else the
    newest) and its questions; None without an order."""
    orders = list(Order.objects.filter(contact_id__in=contact_ids).order_by("-placed_at", "-created_at", "-id")[:20])
    order = likeliest_order(orders)
    return None if order is None else suggestions_for(order, language, now=now)


def contact_family(connector: str, sender_id: str) -> list[int]:
    """The contact behind a channel's sender and every contact merged with it (one person's orders);
    empty for a sender we have never seen."""
    identity = Identity.objects.filter(connector=connector, external_id=sender_id).select_related("contact").first()
    if identity is None:
        return []
    contact = identity.contact
    return family_of(contact.merged_into_id or contact.pk)
