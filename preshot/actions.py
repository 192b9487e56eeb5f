"""Pre-shot's one write path: rules (checked whole, every bad field named) and the deflection log."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from chat.errors import InvalidInput, NotFound
from chat.models import DeliveryState
from chat.untrusted import unstorable_reason
from kb.models import LANGUAGES
from orders.models import Order
from preshot.defaults import default_rule_rows
from preshot.models import (
    ALL_STATUSES,
    ActionKind,
    CountsFrom,
    EventKind,
    Notice,
    NoticeConsent,
    Rule,
    SuggestionEvent,
)
from preshot.selectors import OrderSuggestions

_KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
QUESTION_MAX = 200
DAYS_MAX = 3650


class RuleInputError(InvalidInput):
    """Refused input, with a message per field (``statuses``, ``min_days``, ``question_ru``, ...)."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))


@dataclass(frozen=True)
class RuleInput:
    statuses: list[str]
    counts_from: str
    min_days: int
    max_days: int | None
    article_key: str
    question_en: str
    question_ru: str
    action: str = ""
    priority: int = 0
    active: bool = True
    notify: bool = False


def _check_rule(data: RuleInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.statuses:
        errors["statuses"] = _("Pick at least one status.")
    elif unknown := [s for s in data.statuses if s not in ALL_STATUSES]:
        errors["statuses"] = _("Unknown status: %(status)s.") % {"status": ", ".join(unknown)}
    if data.counts_from not in CountsFrom.values:
        errors["counts_from"] = _("Choose what the days count from.")
    if not 0 <= data.min_days <= DAYS_MAX:
        errors["min_days"] = _("A whole number of days from 0 to %(max)s.") % {"max": DAYS_MAX}
    if data.max_days is not None:
        if not 0 <= data.max_days <= DAYS_MAX:
            errors["max_days"] = _("A whole number of days from 0 to %(max)s.") % {"max": DAYS_MAX}
        elif "min_days" not in errors and data.max_days < data.min_days:
            errors["max_days"] = _("The last day comes before the first.")
    if not _KEY.match(data.article_key or "") or len(data.article_key) > 80:
        errors["article_key"] = _("A help article key: lower-case letters, digits and hyphens.")
    for language in LANGUAGES:
        field = f"question_{language}"
        text: str = getattr(data, field)
        if not text.strip():
            errors[field] = _("Write the question in this language.")
        elif len(text) > QUESTION_MAX:
            errors[field] = _("At most %(max)s characters.") % {"max": QUESTION_MAX}
        elif reason := unstorable_reason(text):
            errors[field] = reason
    if data.action not in ActionKind.values:
        errors["action"] = _("Unknown action.")
    if not -1000 <= data.priority <= 1000:
        errors["priority"] = _("A whole number from -1000 to 1000.")
    return errors


def do_save_rule(data: RuleInput, rule_id: int | None = None) -> Rule:
    """Create a rule, or change ``rule_id``; nothing is written when any field is refused."""
    if errors := _check_rule(data):
        raise RuleInputError(errors)
    with transaction.atomic():
        if rule_id is None:
            rule = Rule()
        else:
            found = Rule.objects.select_for_update().filter(pk=rule_id).first()
            if found is None:
                raise NotFound()
            rule = found
        rule.statuses = list(dict.fromkeys(data.statuses))
        rule.counts_from = data.counts_from
        rule.min_days, rule.max_days = data.min_days, data.max_days
        rule.article_key = data.article_key
        rule.question_en, rule.question_ru = data.question_en.strip(), data.question_ru.strip()
        rule.action, rule.priority, rule.active = data.action, data.priority, data.active
        rule.notify = data.notify
        rule.save()
    return rule


def do_delete_rule(rule_id: int) -> None:
    deleted, _rows = Rule.objects.filter(pk=rule_id).delete()
    if not deleted:
        raise NotFound()


def do_load_default_rules() -> int:
    """The shipped rules, when there are none yet (a manager's rules are never overwritten)."""
    if Rule.objects.exists():
        return 0
    Rule.objects.bulk_create([Rule(**row) for row in default_rule_rows()])
    return len(default_rule_rows())


def do_record_event(
    kind: str,
    *,
    article_key: str,
    language: str,
    rule_id: int | None = None,
    order: Order | None = None,
    contact_id: int | None = None,
    channel: str = "",
    at: datetime | None = None,
) -> SuggestionEvent:
    """One step of the deflection funnel: a suggestion shown, its answer opened, or "still need help"."""
    if kind not in EventKind.values:
        raise InvalidInput(_("Unknown event."))
    rule_id = rule_id if rule_id is not None and Rule.objects.filter(pk=rule_id).exists() else None
    return SuggestionEvent.objects.create(
        kind=kind,
        rule_id=rule_id,
        article_key=article_key[:80],
        order=order,
        contact_id=contact_id,
        channel=channel[:16],
        language=language[:2],
        at=at or timezone.now(),
    )


def do_record_shown(offered: OrderSuggestions, *, language: str, channel: str) -> None:
    """Every suggestion a shopper was just shown, logged once each (the funnel's first step)."""
    for suggestion in offered.suggestions:
        do_record_event(
            EventKind.SHOWN,
            article_key=suggestion.answer.key,
            language=language,
            rule_id=suggestion.rule_id,
            order=offered.order,
            contact_id=offered.order.contact_id,
            channel=channel,
        )


def do_still_need_help(
    *,
    connector: str,
    sender_id: str,
    order: Order,
    question: str,
    rule_id: int | None,
    language: str,
    sender_name: str = "",
    external_id: str = "",
) -> int:
    """ "Still need help": the question goes in as the shopper's message (so the operator starts with
    it), the chat is marked as about ``order``, and the press is logged. Returns the conversation id.
    A repeat of ``external_id`` (the widget's button pressed twice, a retried request) changes nothing."""
    from chat.actions.inbound import InboundMessage, do_receive_inbound
    from orders.actions import do_pick_conversation_order
    from orders.models import ConversationOrder

    text = _("Still need help with order %(number)s: %(question)s") % {"number": order.number, "question": question}
    with transaction.atomic():
        received = do_receive_inbound(
            InboundMessage(
                connector=connector,
                sender_id=sender_id,
                text=text,
                sender_name=sender_name,
                language=language,
                external_id=external_id or None,
            )
        )
        if received.duplicate:
            return received.conversation.pk
        do_pick_conversation_order(
            conversation_id=received.conversation.pk, order_id=order.pk, chosen_by=ConversationOrder.ChosenBy.SHOPPER
        )
        do_record_event(
            EventKind.STILL_NEED_HELP,
            article_key=Rule.objects.filter(pk=rule_id or 0).values_list("article_key", flat=True).first() or "",
            language=language,
            rule_id=rule_id,
            order=order,
            contact_id=received.conversation.contact_id,
            channel=connector,
        )
    return received.conversation.pk


def do_consent_to_notices(*, contact_id: int, connector: str) -> NoticeConsent:
    """The shopper agreed to hear about their orders on ``connector``; agreeing twice changes nothing."""
    consent, _created = NoticeConsent.objects.get_or_create(
        contact_id=contact_id, connector=connector, defaults={"at": timezone.now()}
    )
    return consent


def do_withdraw_notice_consent(*, contact_ids: Sequence[int], connector: str) -> int:
    """The shopper no longer wants to hear about their orders on ``connector``: every consent of
    their contacts there goes (notices already being sent still arrive); returns how many went."""
    deleted, _by_model = NoticeConsent.objects.filter(contact_id__in=list(contact_ids), connector=connector).delete()
    return deleted


@dataclass(frozen=True)
class NoticeDraft:
    """A notice as the run wrote it, before it is stored: what the shopper will read, and where."""

    order: Order
    rule: Rule
    connector: str
    contact_id: int
    language: str
    text: str
    keyboard: dict[str, Any] | None


def do_queue_notice(draft: NoticeDraft) -> Notice | None:
    """Store the notice to send (pending); None when this order already had this rule's notice, or a
    notice in its current status, so two overlapping runs, or a run after a crash, never tell it twice."""
    try:
        with transaction.atomic():
            notice, created = Notice.objects.get_or_create(
                order=draft.order,
                rule=draft.rule,
                defaults={
                    "connector": draft.connector,
                    "status": draft.order.status,
                    "contact_id": draft.contact_id,
                    "language": draft.language,
                    "text": draft.text,
                    "keyboard": draft.keyboard,
                    "state": DeliveryState.PENDING,
                    "at": timezone.now(),
                },
            )
    except IntegrityError:  # another rule's notice for this order and status came first
        return None
    return notice if created else None


def do_mark_notice(*, notice_id: int, state: str, external_id: str = "", error: str = "") -> None:
    """One delivery attempt's outcome (``connectors.delivery.deliver_once``); a sent notice stays sent."""
    if state not in (DeliveryState.PENDING, DeliveryState.SENT, DeliveryState.FAILED):
        raise InvalidInput("Unknown delivery state.")
    values: dict[str, Any] = {"state": state, "error": error[:500], "attempts": F("attempts") + 1}
    if state == DeliveryState.SENT:
        values.update(external_id=external_id[:128], sent_at=timezone.now())
    Notice.objects.filter(pk=notice_id).exclude(state=DeliveryState.SENT).update(**values, updated_at=timezone.now())


def do_mark_notice_shown(*, notice_id: int, contact_id: int) -> bool:
    """A widget of the shopper showed the notice: True for the first one only (it is told once)."""
    return bool(
        Notice.objects.filter(pk=notice_id, contact_id=contact_id, state=DeliveryState.PENDING).update(
            state=DeliveryState.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1, updated_at=timezone.now()
        )
    )
