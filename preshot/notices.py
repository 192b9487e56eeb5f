"""Proactive notices: a shopper who agreed (the bot's button, the widget's) is told on that channel
when an order matches a rule marked *notify* (late against the carrier's promise, a parcel 8+ days on
its way, a refund 9+ days after the return), with the answer and "Still need help", at most once per
order and rule.

``send_due_notices`` runs from beat (``preshot-notices`` in ``CELERY_BEAT_SCHEDULE``). Each notice is
first stored (:class:`preshot.models.Notice`, unique per order and rule, and per order and status: two
overlapping runs store it once, and of two late rules matching one order only the likelier is told),
then sent:

- Telegram and VK: by :func:`deliver_notice`, a Celery task through the outbound delivery of replies
  (``connectors.delivery.deliver_once``: the lock per item, rate limits, 429/5xx retried with backoff,
  403 and other refusals recorded as failed with the reason, visible in the admin). A notice still
  pending long after its last attempt (its task lost with a worker) is handed out again by the next run.
- The widget: it stays pending until a widget of the shopper shows it, at once if one is open
  (an ``order.notice`` event to the visitor's group) or when the shopper next opens it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from celery.app.task import Task
from django.conf import settings
from django.utils import timezone, translation

from chat import events
from chat.models import Connector, DeliveryState, Identity
from connectors.delivery import MAX_RETRIES, NOTICE_SENDERS, BotNotice, Permanent, deliver_once
from connectors.widget import notices as widget_notices
from orders.models import Order
from orders.selectors import family_of
from preshot import actions
from preshot.bots import answer_text, button, keyboard, stage_text
from preshot.models import Notice, NoticeConsent, Rule
from preshot.selectors import OrderSuggestions, Suggestion, suggestions_for

logger = logging.getLogger(__name__)

BATCH = 500
# A pending Telegram/VK notice untouched this long lost its task (the longest backoff is 5 minutes).
ORPHANED_AFTER = timedelta(minutes=15)


@shared_task
def send_due_notices() -> int:
    """Store a notice for every consenting shopper's order now matching a notifying rule and start
    sending it; returns how many were stored."""
    now = timezone.now()
    _resend_orphans(now)
    rules = list(Rule.objects.filter(active=True, notify=True).order_by("-priority", "id"))
    if not rules:
        return 0
    statuses = {status for rule in rules for status in rule.statuses}
    told = 0
    for consent in NoticeConsent.objects.select_related("contact"):
        orders = list(Order.objects.filter(contact_id=consent.contact_id, status__in=statuses)[:BATCH])
        # What each order was told already, read once for the batch (not once per order).
        told_by_order: dict[int, list[tuple[int | None, str]]] = {}
        for order_id, rule_id, status in Notice.objects.filter(order__in=orders).values_list(
            "order_id", "rule_id", "status"
        ):
            told_by_order.setdefault(order_id, []).append((rule_id, status))
        for order in orders:
            told_before = told_by_order.get(order.pk, [])
            if order.status in {status for _rule, status in told_before}:
                continue  # one notice per order and status: the likeliest rule's, told already
            already = {rule_id for rule_id, _status in told_before}
            for rule in rules:  # likeliest first: the first one told is the one
                if rule.pk not in already and _tell(consent, order, rule, now):
                    told += 1
                    break
    return told


def _tell(consent: NoticeConsent, order: Order, rule: Rule, now: Any) -> bool:
    language = (consent.contact.language or "en")[:2]
    offered = suggestions_for(order, language, now=now, rules=[rule], limit=1)
    if not offered.suggestions:
        return False
    [suggestion] = offered.suggestions
    with translation.override(offered.language):
        text = _notice_text(consent.connector, offered, suggestion)
        buttons = _buttons(consent.connector, offered, suggestion, rule)
    notice = actions.do_queue_notice(
        actions.NoticeDraft(
            order=order, rule=rule, connector=consent.connector, contact_id=consent.contact_id,
            language=offered.language, text=text, keyboard=buttons,
        )
    )  # fmt: skip
    if notice is None:
        return False  # another run stored it first
    actions.do_record_shown(offered, language=offered.language, channel=consent.connector)
    if consent.connector == Connector.WIDGET:
        _show_on_open_widgets(notice)
    else:
        deliver_notice.delay(notice.pk)
    return True


def _notice_text(connector: str, offered: OrderSuggestions, suggestion: Suggestion) -> str:
    """The stage, the question and its answer; on Telegram and VK with the links written out, in the
    widget without them (it shows them as links under the text)."""
    head = f"{stage_text(offered, questions=False)}\n\n{suggestion.question}\n\n"
    if connector != Connector.WIDGET:
        return head + answer_text(suggestion)
    return head + "\n".join([suggestion.answer.title, "", suggestion.answer.summary])


def _buttons(connector: str, offered: OrderSuggestions, suggestion: Suggestion, rule: Rule) -> dict[str, Any] | None:
    """Telegram's and VK's keyboard with "Still need help"; for the widget what it draws."""
    label = translation.gettext("Still need help")
    if connector != Connector.WIDGET:
        # A notice comes unasked, so it always carries the way to stop them.
        stop = button(connector, translation.gettext("Stop these notices"), f"s:0:{offered.order.pk}")
        return keyboard(connector, [button(connector, label, f"h:{rule.pk}:{offered.order.pk}"), stop])
    help_text = translation.gettext("Still need help with order %(number)s: %(question)s") % {
        "number": offered.order.number,
        "question": suggestion.question,
    }
    links = [{"label": suggestion.answer.title, "url": suggestion.answer.as_json(settings.SITE_URL)["url"]}]
    if suggestion.action is not None:
        links.append({"label": suggestion.action.label, "url": suggestion.action.url})
    return {"help": {"label": label, "text": help_text}, "links": links}


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def deliver_notice(self: Task, notice_id: int) -> str:
    """Send one stored Telegram or VK notice, exactly like an operator's reply, and record the outcome."""

    def attempt() -> str | None:
        notice = Notice.objects.filter(pk=notice_id, state=DeliveryState.PENDING).first()
        if notice is None or notice.contact_id is None:
            return None
        sender = NOTICE_SENDERS.get(notice.connector)
        if sender is None:
            raise Permanent(f"Notices cannot be sent on {notice.connector}.")
        return sender(BotNotice(notice.pk, notice.contact_id, notice.connector, notice.text, notice.keyboard))

    def record(state: str, external_id: str, error: str) -> None:
        actions.do_mark_notice(notice_id=notice_id, state=state, external_id=external_id, error=error)
        if state == DeliveryState.FAILED:
            logger.warning("Notice %s could not be sent: %s", notice_id, error)

    return deliver_once(self, f"notice:{notice_id}", attempt, record)


def _resend_orphans(now: Any) -> None:
    orphans = Notice.objects.filter(state=DeliveryState.PENDING, updated_at__lt=now - ORPHANED_AFTER).exclude(
        connector=Connector.WIDGET
    )
    for notice_id in orphans.values_list("pk", flat=True)[:BATCH]:
        deliver_notice.delay(notice_id)


# --- the widget ------------------------------------------------------------------------------------
def widget_payload(notice: Notice) -> dict[str, Any]:
    buttons = notice.keyboard or {}
    return {
        "id": notice.pk,
        "order_number": notice.order.number,
        "rule_id": notice.rule_id,
        "text": notice.text,
        "help": buttons.get("help"),
        "links": buttons.get("links") or [],
    }


def _show_on_open_widgets(notice: Notice) -> None:
    if notice.contact_id is None:
        return
    visitors = Identity.objects.filter(contact_id=notice.contact_id, connector=Connector.WIDGET)
    groups = [widget_notices.visitor_group(v) for v in visitors.values_list("external_id", flat=True)]
    if groups:
        events.emit_ephemeral("order.notice", widget_payload(notice), groups=groups)


def _visitor_contacts(visitor_id: str) -> list[int]:
    identity = Identity.objects.filter(connector=Connector.WIDGET, external_id=visitor_id).select_related("contact")
    found = identity.first()
    if found is None:
        return []
    return family_of(found.contact.merged_into_id or found.contact.pk)


def take_pending_for_visitor(visitor_id: str) -> list[dict[str, Any]]:
    """The widget notices this shopper has not seen, now counted as shown (the widget just connected)."""
    contacts = _visitor_contacts(visitor_id)
    pending = Notice.objects.filter(
        contact_id__in=contacts, connector=Connector.WIDGET, state=DeliveryState.PENDING
    ).select_related("order")
    return [
        widget_payload(notice)
        for notice in pending.order_by("id")
        if actions.do_mark_notice_shown(notice_id=notice.pk, contact_id=notice.contact_id or 0)
    ]


def claim_for_visitor(visitor_id: str, notice_id: int) -> bool:
    """An open widget got the notice live: it shows it if it is the first of the shopper's widgets."""
    contact_id = (
        Notice.objects.filter(pk=notice_id, contact_id__in=_visitor_contacts(visitor_id))
        .values_list("contact_id", flat=True)
        .first()
    )
    return contact_id is not None and actions.do_mark_notice_shown(notice_id=notice_id, contact_id=contact_id)


WIDGET_SOURCE = widget_notices.NoticeSource(take_pending=take_pending_for_visitor, claim=claim_for_visitor)
