"""``{% orders_panel %}``: the orders section's script and its texts, in the page's language."""

from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from orders.models import OrderStatus

register = template.Library()


def panel_strings() -> dict[str, object]:
    return {
        "title": _("Orders"),
        "none": _("No orders from the shop for this customer."),
        "about_shopper": _("The customer picked this order"),
        "about_operator": _("Picked by an operator"),
        "about_likeliest": _("Likely what the chat is about"),
        "order": _("Order %(number)s"),
        "since": _("since %(date)s"),
        "items": _("Items"),
        "total": _("Total"),
        "tracking": _("Track the parcel"),
        "carrier": _("Carrier"),
        "promised": _("Promised by"),
        "late": _("late"),
        "address": _("Delivery address"),
        "history": _("Status history"),
        "error": _("The orders could not be loaded."),
        "pick": _("The chat is about this order"),
        "pick_failed": _("The order could not be marked; try again."),
        "statuses": {value: str(label) for value, label in OrderStatus.choices},
    }


@register.simple_tag(takes_context=True)
def orders_panel(context: template.Context) -> SafeString:
    request = context.get("request")
    nonce = getattr(request, "csp_nonce", "") if request is not None else ""
    return format_html(
        '{}<script type="module" src="{}" nonce="{}"></script>',
        json_script(panel_strings(), "orders-strings"),
        static("workspace/orders.js"),
        nonce,
    )
