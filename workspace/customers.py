"""Customer 360: one page per customer with everything we know across connectors, notes that outlive
a conversation, and merging two contacts that are one person (with undo).

Reads go through ``workspace.selectors`` (who may see which customer), writes through
``chat.actions.contacts``. The same view of a customer feeds the page, the JSON API
(``workspace.customers_api``) and the compact section of the chat's customer panel.

Other apps add sections (orders) with :func:`register_section`: a template and a function giving its
context for a customer; ``workspace`` never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from chat.actions import do_add_contact_note, do_edit_contact_note, do_merge_contacts, do_undo_merge
from chat.actions.contacts import NOTE_MAX_CHARS, root_contact_id
from chat.errors import ChatError, Forbidden, NotFound
from chat.models import Connector, Contact, ContactMerge, ContactNote, Conversation, Identity, Operator, Questionnaire
from chat.questionnaire import answer_rows
from workspace import selectors
from workspace.views import activate_operator_language

CONVERSATIONS_SHOWN = 200
CANDIDATES_SHOWN = 20


def history_url(conversation_id: int) -> str:
    """The read-only transcript (the history screens)."""
    return reverse("history-transcript", args=[conversation_id])


@dataclass(frozen=True)
class Section:
    """An extra block of the customer page: ``context(contact, operator)`` feeds ``template``."""

    id: str
    template: str
    context: Callable[[Contact, Operator], dict[str, Any]]


_sections: dict[str, Section] = {}


def register_section(id: str, template: str, context: Callable[[Contact, Operator], dict[str, Any]]) -> None:
    """Orders (and later apps) add their block here, e.g. ``register_section("orders", "orders/customer.html", f)``."""
    _sections[id] = Section(id=id, template=template, context=context)


def identity_rows(contact: Contact) -> list[dict[str, str]]:
    """Every way to reach or recognise the customer, as people read it (no raw hex ids as text)."""
    rows: list[dict[str, str]] = []
    for identity in contact.identities.order_by("id"):
        rows.append(_identity_row(identity))
    if contact.email:
        rows.append(
            {"kind": "email", "label": _("Email"), "text": contact.email, "url": f"mailto:{contact.email}",
             "verified": "yes" if contact.email_verified else ""}
        )  # fmt: skip
    if contact.phone:
        rows.append(
            {"kind": "phone", "label": _("Phone"), "text": contact.phone, "url": f"tel:{contact.phone}",
             "verified": "yes" if contact.phone_verified else ""}
        )  # fmt: skip
    if contact.customer_id:
        rows.append({"kind": "customer_id", "label": _("Shop customer id"), "text": contact.customer_id, "url": ""})
    return rows


def _identity_row(identity: Identity) -> dict[str, str]:
    details = identity.details or {}
    name = identity.display_name if identity.display_name != identity.external_id else ""
    if identity.connector == Connector.TELEGRAM:
        username = str(details.get("username") or "")
        text = " ".join(part for part in (f"@{username}" if username else "", name) if part) or _("Telegram user")
        url = f"https://t.me/{username}" if username else ""
        return {"kind": "telegram", "label": _("Telegram"), "text": text, "url": url, "raw": identity.external_id}
    if identity.connector == Connector.VK:
        url = f"https://vk.com/id{identity.external_id}" if identity.external_id.isdigit() else ""
        text = name or _("VK profile")
        return {"kind": "vk", "label": _("VK"), "text": text, "url": url, "raw": identity.external_id}
    if identity.external_id.startswith("customer:"):
        text = name or _("Signed-in shop customer")
    else:
        text = name or _("Site visitor")
    return {"kind": "widget", "label": _("Site chat"), "text": text, "url": "", "raw": identity.external_id}


def merge_key_label(key: str) -> str:
    """What two contacts shared when they merged by themselves, in words."""
    labels = {
        "customer_id": _("the same shop customer id"),
        "email": _("the same verified email"),
        "phone": _("the same verified phone"),
        "signed_visitor": _("signed in at the shop in the same browser"),
    }
    return labels.get(key, key)


def customer_view(contact: Contact, operator: Operator) -> dict[str, Any]:
    """Everything the customer page (and the API) shows about one customer, for this operator."""
    conversations = list(
        selectors.contact_conversations(contact=contact, operator=operator)
        .select_related("rating")
        .order_by("-created_at", "-id")[:CONVERSATIONS_SHOWN]
    )
    questionnaires = Questionnaire.objects.filter(
        conversation__in=[c.pk for c in conversations], submitted_at__isnull=False
    ).order_by("-submitted_at")
    languages = sorted({lang for lang in [contact.language, *(c.language for c in conversations)] if lang})
    merges = (
        ContactMerge.objects.filter(Q(target=contact) | Q(source=contact))
        .select_related("source", "target", "actor", "undone_by")
        .order_by("-created_at", "-id")
    )
    return {
        "contact": contact,
        "languages": languages,
        "identities": identity_rows(contact),
        "conversations": [
            {
                "id": c.pk,
                "connector": c.connector,
                "connector_name": c.get_connector_display(),
                "state": c.state,
                "state_name": c.get_state_display(),
                "created_at": c.created_at,
                "closed_at": c.closed_at,
                "operator_name": c.operator.display_name if c.operator else "",
                "reason": c.reason.localized_name() if c.reason else "",
                "stars": c.rating.stars if hasattr(c, "rating") else None,
                "url": history_url(c.pk),
            }
            for c in conversations
        ],
        "questionnaires": [
            {"conversation_id": q.conversation_id, "submitted_at": q.submitted_at, "rows": answer_rows(q.answers)}
            for q in questionnaires
        ],
        "notes": list(ContactNote.objects.filter(contact=contact).select_related("author").order_by("-created_at")),
        "merges": [
            {
                "merge": m,
                "key": merge_key_label(m.key),
                "can_undo": m.undone_at is None and (operator.is_manager or m.actor_id == operator.pk),
            }
            for m in merges
        ],
    }


def live_contact(*, contact_id: int, operator: Operator) -> Contact:
    """The customer the operator may look at; a merged-away contact answers as the one it is in now."""
    root_id = root_contact_id(contact_id)
    if root_id != contact_id and not Contact.objects.filter(pk=contact_id).exists():
        raise NotFound(_("No such contact."))
    return selectors.access_contact(contact_id=root_id, operator=operator)


def merge_candidates(*, contact: Contact, operator: Operator, query: str) -> list[Contact]:
    """Other live customers matching a name, email, phone or identity, among those the operator may see."""
    found = [c for c in selectors.search_contacts(query=query, limit=CANDIDATES_SHOWN * 3) if c.pk != contact.pk]
    found = [c for c in found if c.merged_into_id is None and c.erased_at is None]
    if not operator.is_manager:
        readable = set(
            Conversation.objects.filter(selectors.readable_by(operator), contact_id__in=[c.pk for c in found])
            .values_list("contact_id", flat=True)
        )  # fmt: skip
        found = [c for c in found if c.pk in readable]
    return found[:CANDIDATES_SHOWN]


# --- the page ------------------------------------------------------------------------------------


def _operator(request: HttpRequest) -> Operator:
    operator = Operator.objects.filter(user_id=request.user.pk or 0).first()
    if operator is None:
        raise PermissionDenied("Operators only.")
    activate_operator_language(request, operator)
    return operator


def _customer(request: HttpRequest, contact_id: int) -> tuple[Operator, Contact]:
    operator = _operator(request)
    try:
        return operator, live_contact(contact_id=contact_id, operator=operator)
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from exc
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _page(contact_id: int) -> str:
    return reverse("customer-detail", args=[contact_id])


@login_required
def customer_detail(request: HttpRequest, contact_id: int) -> HttpResponse:
    operator, contact = _customer(request, contact_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    if contact.pk != contact_id:
        return redirect(_page(contact.pk))
    query = request.GET.get("find", "")[:200].replace("\x00", "")
    confirm: Contact | None = None
    if (chosen := request.GET.get("merge", "")).isdigit() and len(chosen) < 18:
        candidates = merge_candidates(contact=contact, operator=operator, query=f"#{chosen}")
        confirm = next((c for c in candidates if c.pk == int(chosen)), None)
    context = customer_view(contact, operator)
    context.update(
        {
            "operator": operator,
            "query": query,
            "candidates": merge_candidates(contact=contact, operator=operator, query=query) if query else [],
            "confirm": confirm,
            "note_max": NOTE_MAX_CHARS,
            "sections": [
                {"id": section.id, "template": section.template, "context": section.context(contact, operator)}
                for section in _sections.values()
            ],
            "manager": operator.is_manager,
        }
    )
    return render(request, "workspace/customer_detail.html", context)


def _post_only(request: HttpRequest) -> HttpResponse | None:
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


def _run(request: HttpRequest, action: Callable[[], object], done: str) -> None:
    try:
        action()
    except ChatError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)


@login_required
def merge_customer(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Merge the chosen contact into this one, after the confirmation was ticked."""
    operator, contact = _customer(request, contact_id)
    if refusal := _post_only(request):
        return refusal
    source_id = request.POST.get("source", "")
    if not source_id.isdigit() or len(source_id) >= 18:
        messages.error(request, _("Choose the customer to merge."))
        return redirect(_page(contact.pk))
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the confirmation to merge these customers."))
        return redirect(_page(contact.pk) + f"?merge={source_id}")
    try:
        source = live_contact(contact_id=int(source_id), operator=operator)
    except ChatError as exc:
        messages.error(request, exc.message)
        return redirect(_page(contact.pk))
    _run(
        request,
        lambda: do_merge_contacts(source_id=source.pk, target_id=contact.pk, operator_id=operator.pk),
        _("Customer #%(source)s was merged into this customer.") % {"source": source.pk},
    )
    return redirect(_page(contact.pk))


@login_required
def undo_merge(request: HttpRequest, contact_id: int, merge_id: int) -> HttpResponse:
    operator, contact = _customer(request, contact_id)
    if refusal := _post_only(request):
        return refusal
    merge = ContactMerge.objects.filter(pk=merge_id).filter(Q(target=contact) | Q(source=contact)).first()
    if merge is None:
        raise Http404("No such merge.")
    _run(
        request,
        lambda: do_undo_merge(merge_id=merge.pk, operator_id=operator.pk),
        _("The merge was undone: customer #%(source)s is separate again.") % {"source": merge.source_id},
    )
    return redirect(_page(contact.pk))


@login_required
def add_note(request: HttpRequest, contact_id: int) -> HttpResponse:
    operator, contact = _customer(request, contact_id)
    if refusal := _post_only(request):
        return refusal
    text = request.POST.get("text", "")
    _run(
        request,
        lambda: do_add_contact_note(contact_id=contact.pk, operator_id=operator.pk, text=text),
        _("Note saved."),
    )
    return redirect(_page(contact.pk) + "#notes")


@login_required
def edit_note(request: HttpRequest, contact_id: int, note_id: int) -> HttpResponse:
    operator, contact = _customer(request, contact_id)
    if refusal := _post_only(request):
        return refusal
    if not ContactNote.objects.filter(pk=note_id, contact=contact).exists():
        raise Http404("No such note.")
    text = request.POST.get("text", "")
    _run(
        request,
        lambda: do_edit_contact_note(note_id=note_id, operator_id=operator.pk, text=text),
        _("Note saved."),
    )
    return redirect(_page(contact.pk) + "#notes")
