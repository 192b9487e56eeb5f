"""The search screen: one query box, the filters, the matching messages with their words marked."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from chat.models import Operator
from search.filters import SearchForm
from search.selectors import SearchResults, search
from workspace.views import activate_operator_language


@login_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    operator = Operator.objects.filter(user=request.user).first()  # type: ignore[misc]
    activate_operator_language(request, operator)
    form = SearchForm(request.GET)
    results = SearchResults()
    next_url = ""
    if operator is not None and form.is_valid() and form.cleaned_data["q"]:
        results = search(
            operator=operator,
            text=form.cleaned_data["q"],
            filters=form.filters(),
            before=form.cleaned_data["before"],
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
            "searched": bool(form.is_bound and form.is_valid() and form.cleaned_data["q"]),
            "results": results,
            "next_url": next_url,
        },
        status=200 if operator is not None else 403,
    )
