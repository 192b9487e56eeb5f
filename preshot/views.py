"""The managers' rules page under /workspace/preshot/: the rules, their deflection over the last
days, and the form (questions in both languages). Reads through selectors and metrics, writes through
:mod:`preshot.actions`; operators who are not managers get 403 on every method."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from chat.errors import NotFound
from kb.models import Article
from kb.views import _manager
from orders.models import OrderStatus
from preshot.actions import RuleInput, RuleInputError, do_delete_rule, do_save_rule
from preshot.metrics import deflection
from preshot.models import ActionKind, CountsFrom, Rule

FIGURES_DAYS = 30
# What an unreadable number becomes: outside every field's range, so the action refuses it by name.
UNREADABLE = 10**9


def _whole(value: str, default: int | None) -> int | None:
    value = value.strip()
    if not value:
        return default
    digits = value[1:] if value.startswith("-") else value
    return int(value) if digits.isdigit() and digits.isascii() and len(value) < 8 else UNREADABLE


def _rule_input(post: QueryDict) -> RuleInput:
    """The form as the action's input; an unreadable number becomes UNREADABLE."""
    return RuleInput(
        statuses=post.getlist("statuses"),
        counts_from=post.get("counts_from", ""),
        min_days=_whole(post.get("min_days", ""), 0) or 0,
        max_days=_whole(post.get("max_days", ""), None),
        article_key=post.get("article_key", "").strip(),
        question_en=post.get("question_en", ""),
        question_ru=post.get("question_ru", ""),
        action=post.get("action", ""),
        priority=_whole(post.get("priority", ""), 0) or 0,
        active=post.get("active") == "on",
        notify=post.get("notify") == "on",
    )


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    manager = _manager(request)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    now = timezone.now()
    figures = deflection(now - timedelta(days=FIGURES_DAYS), now)
    rules = list(Rule.objects.all())
    return render(
        request,
        "preshot/rule_list.html",
        {
            "viewer": manager,
            "manager": True,
            "rows": [(rule, figures.by_rule.get(rule.pk)) for rule in rules],
            "figures": figures,
            "by_article": sorted(figures.by_article.items()),
            "by_day": sorted(figures.by_day.items()),
            "days": FIGURES_DAYS,
            "status_labels": dict(OrderStatus.choices),
        },
    )


@login_required
def rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    manager = _manager(request)
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    rule = Rule.objects.filter(pk=rule_id).first() if rule_id is not None else None
    if rule_id is not None and rule is None:
        raise Http404()
    errors: dict[str, str] = {}
    if request.method == "POST":
        given = _rule_input(request.POST)
        try:
            saved = do_save_rule(given, rule_id)
        except RuleInputError as exc:
            errors = exc.errors
        except NotFound as exc:
            raise Http404() from exc
        else:
            messages.success(request, _("Rule saved."))
            return redirect("preshot-rule-edit", rule_id=saved.pk)
    elif rule is not None:
        given = RuleInput(
            rule.statuses, rule.counts_from, rule.min_days, rule.max_days, rule.article_key,
            rule.question_en, rule.question_ru, rule.action, rule.priority, rule.active, rule.notify,
        )  # fmt: skip
    else:
        given = RuleInput([], CountsFrom.ORDER, 0, None, "", "", "")
    return render(
        request,
        "preshot/rule_edit.html",
        {
            "viewer": manager,
            "manager": True,
            "rule": rule,
            "given": given,
            "errors": errors,
            "statuses": OrderStatus.choices,
            "counts_from": CountsFrom.choices,
            "actions": ActionKind.choices,
            "article_keys": list(Article.objects.order_by("key").values_list("key", flat=True)),
        },
        status=400 if errors else 200,
    )


@login_required
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    _manager(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        do_delete_rule(rule_id)
    except NotFound as exc:
        raise Http404() from exc
    messages.success(request, _("Rule deleted."))
    return redirect("preshot-rules")
