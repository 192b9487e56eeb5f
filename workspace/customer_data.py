"""The managers' "Customer data" page: find a customer, download their data, erase it.

A data request (a customer asking for their data, or for it to be deleted) usually arrives by email,
so the page searches by email, phone, name, shop id or connector id. The download is the JSON API's
export; the erasure posts here and goes through ``chat.actions.do_erase_contact``. Both are recorded,
and the page lists the latest records.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from chat.actions import do_erase_contact
from chat.errors import ChatError
from chat.models import DataAuditRecord, Operator
from workspace import selectors
from workspace.views import activate_operator_language

RECORDS_SHOWN = 20


def _manager(request: HttpRequest) -> Operator:
    operator = Operator.objects.filter(user_id=request.user.pk).first() if request.user.pk else None
    if operator is None or not operator.is_manager:
        raise PermissionDenied("Managers only.")
    activate_operator_language(request, operator)
    return operator


@login_required
@require_GET
def customer_data(request: HttpRequest) -> HttpResponse:
    _manager(request)
    query = request.GET.get("q", "")[:200].replace("\x00", "")
    return render(
        request,
        "workspace/customer_data.html",
        {
            "manager": True,
            "query": query,
            "contacts": selectors.search_contacts(query=query),
            "records": DataAuditRecord.objects.order_by("-at", "-id")[:RECORDS_SHOWN],
        },
    )


@login_required
def erase_customer(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Erase after the manager ticked the confirmation; otherwise say so and erase nothing. Whether the
    asker is a manager is checked before the method, so an operator learns nothing from a GET."""
    operator = _manager(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    back = reverse("customer-data") + "?" + urlencode({"q": request.POST.get("q", "")})
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the confirmation to erase this customer's data."))
        return redirect(back)
    try:
        do_erase_contact(contact_id=contact_id, operator_id=operator.pk)
    except ChatError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Customer #%(id)s: their data was erased.") % {"id": contact_id})
    return redirect(back)
