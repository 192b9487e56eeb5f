"""Workspace pages. Thin: they read through selectors and write through ``chat.actions``."""

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie

from chat.limits import message_max_chars
from chat.models import Operator, Queue
from connectors.widget.signing import sign_customer
from orders.demo import DEMO_SHOPPERS

DEMO_CUSTOMER_SESSION_KEY = "demo_shop_customer"


def demo_shop(request: HttpRequest) -> HttpResponse:
    """A plain storefront page with a footer, embedding the chat widget.

    With the widget's customer secret set (``make run`` sets one), ``?as=<customer id>`` signs the
    visitor in as one of the demo's shop customers, as a shop's own page would after its login (the
    widget tag then carries the signed ``data-customer-*``), so their orders' stage shows in the
    widget; ``?as=`` signs out. Kept in the session."""
    shoppers = {customer_id: (name, email) for _visitor, customer_id, name, email in DEMO_SHOPPERS}
    signing = bool(settings.WIDGET_CUSTOMER_SECRET)
    if signing and "as" in request.GET:
        wanted = request.GET["as"]
        request.session[DEMO_CUSTOMER_SESSION_KEY] = wanted if wanted in shoppers else ""
    customer_id = request.session.get(DEMO_CUSTOMER_SESSION_KEY, "") if signing else ""
    customer = None
    if customer_id in shoppers:
        name, email = shoppers[customer_id]
        signature = sign_customer(customer_id, name, email)
        customer = {"id": customer_id, "name": name, "email": email, "signature": signature}
    choices = [{"id": cid, "name": name} for cid, (name, _email) in shoppers.items()] if signing else []
    return render(request, "workspace/demo_shop.html", {"customer": customer, "demo_customers": choices})


def activate_operator_language(request: HttpRequest, operator: Operator | None) -> None:
    """The operator's own language wins over the browser's, until they pick one with the switch."""
    if operator is not None and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(operator.language)
        request.LANGUAGE_CODE = translation.get_language()


def client_strings() -> dict[str, str]:
    """Every text the workspace script shows, translated here so one catalogue serves both."""
    return {
        "queue_empty": _("Nobody is waiting."),
        "no_chats": _("No active chats. New chats arrive here when you are online."),
        "typing": _("Customer is typing…"),
        "sending": _("Sending…"),
        "sent": _("Sent"),
        "failed": _("Not delivered"),
        "retry": _("Send again"),
        "note": _("Private note"),
        "note_hint": _("Only operators see notes."),
        "reply_label": _("Reply to the customer"),
        "note_label": _("Write a private note"),
        "send": _("Send"),
        "transfer": _("Transfer"),
        "close": _("Close chat"),
        "customer": _("Customer"),
        "name": _("Name"),
        "connector": _("Connector"),
        "identities": _("Identities"),
        "earlier": _("Earlier conversations"),
        "no_earlier": _("No earlier conversations."),
        "show_transcript": _("Show messages"),
        "hide_transcript": _("Hide messages"),
        "attach_file": _("Attach a file"),
        "sending_file": _("Sending {name}…"),
        "visitor": _("On the site"),
        "visitor_page": _("Page"),
        "visitor_referrer": _("Came from"),
        "visitor_language": _("Browser language"),
        "visitor_device": _("Device"),
        "device_phone": _("Phone"),
        "device_tablet": _("Tablet"),
        "device_desktop": _("Computer"),
        "visitor_cart": _("Cart"),
        "visitor_cart_empty": _("The cart is empty."),
        "visitor_cart_total": _("Total"),
        "visitor_pages": _("Earlier pages ({n})"),
        "unread": _("unread"),
        "new_message": _("New message"),
        "waiting": _("waiting"),
        "position": _("Position"),
        "you": _("You"),
        "shopper": _("Customer"),
        "system": _("System"),
        "closed": _("Closed"),
        "active": _("Active"),
        "queued": _("Queued"),
        "reconnecting": _("Connection lost, reconnecting…"),
        "connected": _("Live"),
        "chat_with": _("Chat with"),
        "canned_label": _("Canned replies"),
        "error": _("Something went wrong"),
        "transferred": _("The chat was transferred."),
        "chat_closed": _("The chat was closed."),
        "requeued": _("The chat went back to the queue."),
        "older": _("Load earlier messages"),
        "edited": _("edited"),
        "widget": _("Site chat"),
        "telegram": _("Telegram"),
        "vk": _("VK"),
        "anonymous": _("Visitor"),
        "section_failed": _("This part of the panel could not be shown."),
        "customer_data": _("Download or erase this customer's data"),
        **edge_strings(),
        **feedback_strings(),
    }


def edge_strings() -> dict[str, str]:
    """Texts for the composer's length check, readable identities and notifications."""
    return {
        "over_limit": _("%(count)s of %(max)s characters: shorten the message to send it."),
        "site_visitor": _("Site visitor"),
        "email": _("Email"),
        "phone": _("Phone"),
        "vk_profile": _("VK profile"),
        "notify_new_chat": _("New chat"),
        "notify_new_message": _("New message from %(name)s"),
        "notify_enable": _("Turn on desktop notifications"),
    }


def customer_panel_strings() -> dict[str, str]:
    """Texts of the customer panel's notes and customer page link (static/workspace/customers.js)."""
    return {
        "notes": _("Notes about the customer"),
        "no_notes": _("No notes yet."),
        "new_note": _("New note (operators only; kept across conversations)"),
        "add_note": _("Add note"),
        "open_page": _("Open the customer page"),
        "former_operator": _("Former operator"),
        "error": _("Something went wrong"),
    }


def feedback_strings() -> dict[str, str]:
    """Texts of the ratings and questionnaire parts (static/workspace/feedback.js)."""
    return {
        "rating": _("Rating"),
        "not_rated": _("Not rated yet"),
        "stars": _("%(n)s of 5"),
        "questionnaire": _("Stylist questionnaire"),
        "questionnaire_missing": _("Not filled in yet"),
        "questionnaire_received": _("The customer filled in the questionnaire"),
        "photo": _("Photo"),
        "review_title": _("Ratings to review"),
        "reviewed": _("Reviewed"),
        "nothing_to_review": _("No ratings to review"),
        "chat_number": _("Chat #%(n)s"),
        "dismiss": _("Close"),
        "shopper_label": _("Shopper"),
        "via_widget": _("Shopper on the site chat"),
        "via_telegram": _("Shopper on Telegram"),
        "via_vk": _("Shopper on VK"),
    }


@login_required
@ensure_csrf_cookie
def workspace_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    operator = Operator.objects.filter(user_id=user.pk).first() if user.is_authenticated else None
    activate_operator_language(request, operator)
    return render(
        request,
        "workspace/home.html",
        {
            "operator": operator,
            "strings": client_strings(),
            "message_max_chars": message_max_chars(),
            "context": operator_context(operator),
            "customer_strings_json": json.dumps(customer_panel_strings()),
        },
    )


def operator_context(operator: Operator | None) -> dict[str, object]:
    """What the scripts need to know about this operator: manager-only calls, queue names in their language."""
    return {
        "isManager": bool(operator and operator.is_manager),
        "queueNames": {q.slug: q.localized_name() for q in Queue.objects.all()},
    }
