"""The search screen: one query box, the history list's filters, the matching messages with their words marked."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from chat.errors import InvalidForm
from chat.models import Operator
from search.forms import SearchForm
from search.selectors import SearchResults, search
from workspace.history_filters import FILTER_FIELDS, HistoryFilters, filter_choices, parse_history_filters
from workspace.views import activate_operator_language


@login_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    operator = Operator.objects.filter(user=request.user).first()  # type: ignore[misc]
    activate_operator_language(request, operator)
    form = SearchForm(request.GET)
    try:
        filters, errors = parse_history_filters(request.GET), {}
    except InvalidForm as exc:
        filters, errors = HistoryFilters(), exc.errors
    searchable = operator is not None and form.is_valid() and bool(form.cleaned_data["q"]) and not errors
    results = SearchResults()
    next_url = ""
    if searchable and operator is not None:
        results = search(
            operator=operator, text=form.cleaned_data["q"], filters=filters, before=form.cleaned_data["before"]
        )
        if results.next_cursor:
            kept: dict[str, str] = {key: str(value) for key, value in request.GET.items() if key != "before"}
            next_url = "?" + urlencode({**kept, "before": results.next_cursor})
    return render(
        request,
        "search/search.html",
        {
            "viewer": operator,
            "form": form,
            "values": {field: request.GET.get(field, "")[:40] for field in FILTER_FIELDS},
            "filters": filters,
            "errors": errors,
            "choices": filter_choices() if operator is not None else {},
            "searched": searchable,
            "results": results,
            "next_url": next_url,
        },
        status=200 if operator is not None else 403,
    )
