"""Pre-shot on Telegram and VK: ``/start`` (VK's Start button) shows the shopper's order stage and its
likeliest questions as buttons; a question's button sends its answer, "Still need help" opens a chat
with the order and the question attached.

Button data (connectors.callbacks' convention): ``ps:a:<rule id>:<order id>`` (an answer) and
``ps:h:<rule id>:<order id>`` (still need help; rule 0 when none), ``ps:c:0:<order id>`` (agree to
notices, preshot.notices). A press is honoured only for an
order of the presser's own contact, so forged data shows nobody else's order.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext as _

from chat.models import Connector, Identity
from connectors import bots as connector_bots
from connectors import callbacks
from kb.search import clean_language
from orders.models import Order, OrderStatus
from preshot import actions
from preshot.models import EventKind, NoticeConsent, Rule
from preshot.selectors import OrderSuggestions, Suggestion, contact_family, suggestions_for, suggestions_for_contact

PREFIX = "ps"
VK_LABEL_MAX = 40
# What /start did before pre-shot took the command over: the greeting, for shoppers without an order.
_greet = connector_bots.on_start


def _language(connector: str, sender_id: str, given: str) -> str:
    """The language the press came with; VK's callback buttons carry none, so the contact's."""
    if not given:
        given = (
            Identity.objects.filter(connector=connector, external_id=sender_id)
            .values_list("contact__language", flat=True)
            .first()
            or ""
        )
    return clean_language(given)


def button(connector: str, label: str, data: str) -> dict[str, Any]:
    if connector == Connector.TELEGRAM:
        return {"text": label, "callback_data": callbacks.callback_data(PREFIX, data)}
    short = label if len(label) <= VK_LABEL_MAX else label[: VK_LABEL_MAX - 1] + "…"
    payload = json.dumps({"data": callbacks.callback_data(PREFIX, data)})
    return {"action": {"type": "callback", "label": short, "payload": payload}}


def keyboard(connector: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    if connector == Connector.TELEGRAM:
        return {"inline_keyboard": [[row] for row in rows]}
    return {"inline": True, "buttons": [[row] for row in rows]}


def _help_button(connector: str, order: Order, rule_id: int | None) -> dict[str, Any]:
    return button(connector, _("Still need help"), f"h:{rule_id or 0}:{order.pk}")


def stage_text(offered: OrderSuggestions, *, questions: bool = True) -> str:
    since = formats.date_format(offered.order.stage_since(), "SHORT_DATE_FORMAT")
    status = str(OrderStatus(offered.order.status).label)
    if not questions:
        return _("Your order %(number)s: %(status)s since %(since)s.") % {
            "number": offered.order.number,
            "status": status,
            "since": since,
        }
    return _("Your order %(number)s: %(status)s since %(since)s. Common questions:") % {
        "number": offered.order.number,
        "status": status,
        "since": since,
    }


def answer_text(suggestion: Suggestion) -> str:
    url = suggestion.answer.as_json(settings.SITE_URL)["url"]
    lines = [suggestion.answer.title, "", suggestion.answer.summary, url]
    if suggestion.action is not None:
        lines += ["", f"{suggestion.action.label}: {suggestion.action.url}"]
    return "\n".join(lines)


def on_start(command: callbacks.Command) -> str | None:
    """The shopper's order and its questions as buttons; without an order, the usual greeting."""
    language = _language(command.connector, command.sender_id, command.language)
    offered = suggestions_for_contact(contact_family(command.connector, command.sender_id), language)
    if offered is None or not offered.suggestions:
        return _greet(command)
    with translation.override(language):
        rows = [button(command.connector, s.question, f"a:{s.rule_id}:{offered.order.pk}") for s in offered.suggestions]
        rows.append(_help_button(command.connector, offered.order, None))
        contact_id = offered.order.contact_id
        if contact_id and not NoticeConsent.objects.filter(contact_id=contact_id, connector=command.connector).exists():
            rows.append(button(command.connector, _("Tell me if an order is late"), f"c:0:{offered.order.pk}"))
        connector_bots.send_bot_message(
            command.connector, command.chat_id, stage_text(offered), keyboard(command.connector, rows)
        )
    actions.do_record_shown(offered, language=language, channel=command.connector)
    return None


def on_press(press: callbacks.ButtonPress) -> str | None:
    """An answer's button sends the answer (with "Still need help" under it); "Still need help"
    opens the chat. The toast says what happened."""
    language = _language(press.connector, press.sender_id, press.language)
    kind, _sep, ids = press.rest.partition(":")
    rule_text, _sep, order_text = ids.partition(":")
    if not (rule_text.isdigit() and order_text.isdigit() and len(ids) < 40):
        return None
    order = Order.objects.filter(
        pk=int(order_text), contact_id__in=contact_family(press.connector, press.sender_id)
    ).first()
    if order is None:
        return None
    rule = Rule.objects.filter(pk=int(rule_text)).first()
    with translation.override(language):
        if kind == "a" and rule is not None:
            offered = suggestions_for(order, language, rules=[rule], limit=1)
            if not offered.suggestions:
                return None
            [suggestion] = offered.suggestions
            markup = keyboard(press.connector, [_help_button(press.connector, order, rule.pk)])
            connector_bots.send_bot_message(press.connector, press.chat_id, answer_text(suggestion), markup)
            actions.do_record_event(
                EventKind.OPENED,
                article_key=suggestion.answer.key,
                language=language,
                rule_id=rule.pk,
                order=order,
                contact_id=order.contact_id,
                channel=press.connector,
            )
            return suggestion.answer.title
        if kind == "c" and order.contact_id is not None:
            actions.do_consent_to_notices(contact_id=order.contact_id, connector=press.connector)
            return _("We will tell you here if an order is late.")
        if kind == "s":
            family = contact_family(press.connector, press.sender_id)
            actions.do_withdraw_notice_consent(contact_ids=family, connector=press.connector)
            return _("We will not tell you about your orders here any more.")
        if kind == "h":
            question = rule.question(language) if rule is not None else _("Question about my order")
            actions.do_still_need_help(
                connector=press.connector,
                sender_id=press.sender_id,
                order=order,
                question=question,
                rule_id=rule.pk if rule is not None else None,
                language=language,
                sender_name=press.sender_name,
            )
            return _("An operator will answer you here shortly.")
    return None


def register() -> None:
    """From ``PreshotConfig.ready`` (after connectors' own /start, which stays the fallback)."""
    callbacks.register_command_handler("start", on_start)
    callbacks.register_callback_handler(PREFIX, on_press)
