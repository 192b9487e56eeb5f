"""Pre-shot in the site widget (``/connectors/widget/preshot/``): before any chat, a signed-in shopper
sees their order's stage and its likeliest questions, opens an answer in one tap, and "Still need
help" opens a chat with the order and the question attached; they may also agree to notices.

Who asks is the widget's visitor token; their orders are their contact's and those of the contacts
merged with it, as on Telegram and VK. The suggestions are the shop API's (the same function, the
same shape), and every step is logged as the bots log it, with the channel ``widget``, so the
deflection figures count the widget too.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

from chat import throttle
from chat.errors import InvalidInput, NotFound
from chat.models import Connector
from connectors.widget.signing import read_token
from connectors.widget.views import check_rate, json_body, widget_endpoint
from kb.models import LANGUAGES
from orders.models import Order
from preshot import actions
from preshot.models import EventKind, NoticeConsent, Rule
from preshot.selectors import contact_family, suggestions_for, suggestions_for_contact

CONNECTOR = Connector.WIDGET


def _language(value: object) -> str:
    """``en`` or ``ru`` (absent: ``en``); anything else is refused, not guessed."""
    if value is None or value == "":
        return "en"
    if not isinstance(value, str) or value not in LANGUAGES:
        raise InvalidInput(_("lang must be one of: %(languages)s.") % {"languages": ", ".join(LANGUAGES)})
    return value


def _rate(request: HttpRequest, language: str) -> None:
    check_rate(request, [("preshot_ip", throttle.request_ip(request))], language)


def _own_order(visitor_id: str, number: object) -> Order:
    """The visitor's own order by its number: another shopper's number is simply not found."""
    if not isinstance(number, str) or not 0 < len(number) <= 100:
        raise InvalidInput(_("order must be the order's number."))
    order = Order.objects.filter(number=number, contact_id__in=contact_family(CONNECTOR, visitor_id)).first()
    if order is None:
        raise NotFound()
    return order


def _rule(value: object, *, required: bool) -> Rule | None:
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(_("rule_id must be a whole number."))
    rule = Rule.objects.filter(pk=value).first()
    if rule is None:
        raise NotFound()
    return rule


@widget_endpoint("GET")
def stage(request: HttpRequest) -> HttpResponse:
    """``?token=&lang=`` -> the shop API's suggestions for the visitor's likeliest order
    (``{"order", "language", "suggestions"}``), each logged as shown; ``"order": null`` and no
    suggestions for a visitor without an order."""
    visitor_id = read_token(request.GET.get("token"))
    language = _language(request.GET.get("lang"))
    _rate(request, language)
    offered = suggestions_for_contact(contact_family(CONNECTOR, visitor_id), language)
    if offered is None:
        return JsonResponse({"order": None, "language": language, "suggestions": []})
    actions.do_record_shown(offered, language=language, channel=CONNECTOR)
    return JsonResponse(offered.as_json(request.build_absolute_uri("/")))


@widget_endpoint("POST")
def opened(request: HttpRequest) -> HttpResponse:
    """``{"token", "order", "rule_id", "lang"}``: the shopper opened this question's answer. Answers
    the suggestion (as in ``stage``), logged as opened; a question the order no longer has is a 404."""
    data = json_body(request)
    visitor_id = read_token(data.get("token"))
    language = _language(data.get("lang"))
    _rate(request, language)
    order = _own_order(visitor_id, data.get("order"))
    rule = _rule(data.get("rule_id"), required=True)
    offered = suggestions_for(order, language, rules=[rule] if rule else [], limit=1)
    if not offered.suggestions or rule is None:
        raise NotFound()
    [suggestion] = offered.suggestions
    actions.do_record_event(
        EventKind.OPENED,
        article_key=suggestion.answer.key,
        language=language,
        rule_id=rule.pk,
        order=order,
        contact_id=order.contact_id,
        channel=CONNECTOR,
    )
    return JsonResponse(suggestion.as_json(request.build_absolute_uri("/")))


@widget_endpoint("POST")
def still_need_help(request: HttpRequest) -> HttpResponse:
    """``{"token", "order", "rule_id"|null, "lang", "client_id"}`` -> ``201 {"conversation_id"}``:
    a chat about the order whose first message is the question (the bots' path); a repeat of
    ``client_id`` opens nothing new (``200``)."""
    data = json_body(request)
    visitor_id = read_token(data.get("token"))
    language = _language(data.get("lang"))
    client_id = data.get("client_id")
    if not isinstance(client_id, str) or not 0 < len(client_id) <= 64:
        raise InvalidInput(_("client_id must be a string of 1-64 characters."))
    check_rate(
        request,
        [("preshot_ip", throttle.request_ip(request)), ("widget_message_visitor", visitor_id)],
        language,
    )
    order = _own_order(visitor_id, data.get("order"))
    rule = _rule(data.get("rule_id"), required=False)
    with translation.override(language):
        question = rule.question(language) if rule is not None else _("Question about my order")
        conversation_id = actions.do_still_need_help(
            connector=CONNECTOR,
            sender_id=visitor_id,
            order=order,
            question=question,
            rule_id=rule.pk if rule is not None else None,
            language=language,
            external_id=f"{visitor_id}:preshot:{client_id}",
        )
    return JsonResponse({"conversation_id": conversation_id}, status=201)


def _consent_json(visitor_id: str) -> dict[str, Any]:
    agreed = NoticeConsent.objects.filter(
        contact_id__in=contact_family(CONNECTOR, visitor_id), connector=CONNECTOR
    ).exists()
    return {"connector": CONNECTOR, "agreed": agreed}


@widget_endpoint("GET", "POST")
def notices(request: HttpRequest) -> HttpResponse:
    """GET ``?token=`` -> ``{"connector", "agreed"}``: whether the visitor agreed to notices in the
    widget. POST ``{"token", "order"}``: they agree (about their orders, kept with the order's
    contact, as the bots' button does); agreeing again changes nothing. POST ``{"token",
    "agreed": false}``: they withdraw it (every consent of their contacts in the widget)."""
    if request.method == "GET":
        visitor_id = read_token(request.GET.get("token"))
        _rate(request, "")
        return JsonResponse(_consent_json(visitor_id))
    data = json_body(request)
    visitor_id = read_token(data.get("token"))
    _rate(request, "")
    agreed = data.get("agreed", True)
    if not isinstance(agreed, bool):
        raise InvalidInput(_("agreed must be true or false."))
    if not agreed:
        actions.do_withdraw_notice_consent(contact_ids=contact_family(CONNECTOR, visitor_id), connector=CONNECTOR)
        return JsonResponse(_consent_json(visitor_id))
    order = _own_order(visitor_id, data.get("order"))
    if order.contact_id is None:  # an own order always has a contact; for the type checker
        raise NotFound()
    actions.do_consent_to_notices(contact_id=order.contact_id, connector=CONNECTOR)
    return JsonResponse(_consent_json(visitor_id), status=201)
