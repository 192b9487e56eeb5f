"""Proactive notices: a shopper who agreed (the bot's button) is told on that channel when an order
matches a rule marked *notify* (the shipped ones: a parcel 8+ days on its way, a refund 9+ days after
the return), with the answer and "Still need help", at most once per order and rule.

``send_due_notices`` runs from beat (``preshot-notices`` in ``CELERY_BEAT_SCHEDULE``). A notice's
unique row is claimed before it is sent, so two runs never tell it twice; a send that fails is
logged and not tried again.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone, translation

from chat.models import Connector, Identity
from connectors import bots as connector_bots
from orders.models import Order
from preshot import actions
from preshot.bots import answer_text, button, keyboard, stage_text
from preshot.models import EventKind, Notice, NoticeConsent, Rule
from preshot.selectors import suggestions_for

BATCH = 500


def _address(contact_id: int, connector: str) -> str | None:
    identity = Identity.objects.filter(contact_id=contact_id, connector=connector).order_by("-id").first()
    if identity is None:
        return None
    key = "chat_id" if connector == Connector.TELEGRAM else "peer_id"
    return str(identity.details.get(key) or identity.external_id)


@shared_task
def send_due_notices() -> int:
    """Tell every consenting shopper about each order now matching a notifying rule; returns how many."""
    now = timezone.now()
    rules = list(Rule.objects.filter(active=True, notify=True))
    if not rules:
        return 0
    statuses = {status for rule in rules for status in rule.statuses}
    consents = list(NoticeConsent.objects.select_related("contact"))
    told = 0
    for consent in consents:
        orders = Order.objects.filter(contact_id=consent.contact_id, status__in=statuses)[:BATCH]
        for order in orders:
            already = set(Notice.objects.filter(order=order).values_list("rule_id", flat=True))
            for rule in rules:
                if rule.pk in already:
                    continue
                language = (consent.contact.language or "en")[:2]
                offered = suggestions_for(order, language, now=now, rules=[rule], limit=1)
                if (
                    not offered.suggestions
                    or actions.do_claim_notice(order=order, rule=rule, connector=consent.connector) is None
                ):
                    continue
                address = _address(consent.contact_id, consent.connector)
                if address is None:
                    continue
                [suggestion] = offered.suggestions
                with translation.override(offered.language):
                    text = (
                        f"{stage_text(offered, questions=False)}\n\n{suggestion.question}\n\n{answer_text(suggestion)}"
                    )
                    help_row = button(
                        consent.connector, translation.gettext("Still need help"), f"h:{rule.pk}:{order.pk}"
                    )
                    connector_bots.send_bot_message(
                        consent.connector, address, text, keyboard(consent.connector, [help_row])
                    )
                actions.do_record_event(
                    EventKind.SHOWN, article_key=suggestion.answer.key, language=offered.language, rule_id=rule.pk,
                    order=order, contact_id=consent.contact_id, channel=consent.connector,
                )  # fmt: skip
                told += 1
    return told
