"""Manager dashboards: live, history (with CSV export of every table) and service targets.

Managers see everything; an operator sees only their own figures on the history screen, and
neither the live screen nor the targets. Every figure comes from ``chat.metrics`` selectors.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from chat.metrics import (
    LiveFigures,
    MetricFilters,
    Summary,
    analytics_session,
    concurrency_and_occupancy,
    consultations,
    live_figures,
    operator_table,
    operator_time,
    reason_trend,
    summary,
    volume_by_connector,
    volume_by_day,
    volume_by_hour,
    volume_by_reason,
)
from chat.models import Connector, Operator, Queue
from workspace import figures
from workspace.actions import TargetSettings, do_set_service_targets
from workspace.models import ServiceTarget, TargetBreach, TargetMetric
from workspace.targets import breach_payload, open_breaches

DEFAULT_DAYS = 30
MAX_DAYS = 366


class BadFilter(ValueError):
    """A filter the user typed that we cannot use; shown to them as is."""


@dataclass(frozen=True)
class Viewer:
    operator: Operator | None
    is_manager: bool


def viewer_for(request: HttpRequest) -> Viewer:
    user = request.user
    operator = Operator.objects.filter(user_id=user.pk).first() if user.is_authenticated else None
    is_manager = bool(getattr(user, "is_superuser", False) or (operator is not None and operator.is_manager))
    return Viewer(operator=operator, is_manager=is_manager)


def require_manager(request: HttpRequest) -> Viewer:
    viewer = viewer_for(request)
    if not viewer.is_manager:
        raise PermissionDenied("Managers only.")
    return viewer


def _parse_day(raw: str, name: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise BadFilter(f"{name} must be a date like 2026-01-31, not {raw!r}.") from exc


def _parse_id(raw: str, name: str) -> int | None:
    if not raw:
        return None
    if not raw.isdigit():
        raise BadFilter(f"{name} must be a number.")
    return int(raw)


def filters_for(request: HttpRequest, viewer: Viewer) -> tuple[MetricFilters, dict[str, Any]]:
    """The filters from the query string; an operator's are pinned to themselves."""
    today = timezone.localdate()
    first = (
        _parse_day(request.GET["start"], "Start") if request.GET.get("start") else today - timedelta(DEFAULT_DAYS - 1)
    )
    last = _parse_day(request.GET["end"], "End") if request.GET.get("end") else today
    if last < first:
        raise BadFilter("The end date is before the start date.")
    if (last - first).days >= MAX_DAYS:
        raise BadFilter(f"Choose at most {MAX_DAYS} days.")
    connector = request.GET.get("connector") or None
    if connector is not None and connector not in Connector.values:
        raise BadFilter(f"Unknown connector {connector!r}.")
    queue_id = _parse_id(request.GET.get("queue", ""), "Queue")
    operator_id = _parse_id(request.GET.get("operator", ""), "Operator")
    if not viewer.is_manager:
        own = viewer.operator.pk if viewer.operator else -1
        if operator_id not in (None, own):
            raise PermissionDenied("You can see only your own figures.")
        operator_id = own
    tz = timezone.get_current_timezone()
    filters = MetricFilters(
        start=datetime.combine(first, time.min, tzinfo=tz),
        end=datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz),
        connector=connector,
        queue_id=queue_id,
        operator_id=operator_id,
    )
    form = {
        "start": first.isoformat(),
        "end": last.isoformat(),
        "connector": connector or "",
        "queue": queue_id or "",
        "operator": operator_id or "",
    }
    return filters, form


@dataclass(frozen=True)
class Figure:
    """One summary figure: a stable key (for live.js), its name, its unit and the raw value."""

    key: str
    name: str
    value: Any
    kind: str

    @property
    def export_name(self) -> str:
        """The name with its unit, for CSV and JSON where the value stays a raw number."""
        unit = {figures.SECONDS: gettext("s"), figures.PERCENT: "%", figures.PERCENT_POINTS: "%"}.get(self.kind)
        return f"{self.name}, {unit}" if unit else self.name

    @property
    def export_value(self) -> Any:
        if self.kind == figures.PERCENT and self.value is not None:
            return round(self.value * 100, 2)
        return self.value

    @property
    def text(self) -> str:
        return figures.figure_text(self.value, self.kind)


def summary_figures(result: Summary) -> list[Figure]:
    """The summary, in order: the history table, its CSV and the live page's "Today" share it."""
    count, seconds, percent = figures.COUNT, figures.SECONDS, figures.PERCENT
    rows = [
        Figure("offered", gettext("Chats offered"), result.offered, count),
        Figure("answered", gettext("Chats answered"), result.answered, count),
        Figure("abandoned", gettext("Chats abandoned"), result.abandoned, count),
        Figure("abandonment_rate", gettext("Abandonment rate"), result.abandonment_rate, percent),
        Figure(
            "service_level",
            gettext("Service level within %(seconds)s s") % {"seconds": result.service_level_seconds},
            result.service_level,
            percent,
        ),
    ]
    for key, stats, mean, p50, p90 in (
        (
            "queue_wait",
            result.queue_wait,
            gettext("Queue wait mean"),
            gettext("Queue wait p50"),
            gettext("Queue wait p90"),
        ),
        (
            "first_response",
            result.first_response,
            gettext("First response mean"),
            gettext("First response p50"),
            gettext("First response p90"),
        ),
        (
            "handle_time",
            result.handle_time,
            gettext("Handle time mean"),
            gettext("Handle time p50"),
            gettext("Handle time p90"),
        ),
    ):
        rows += [
            Figure(f"{key}_mean", mean, stats.mean, seconds),
            Figure(f"{key}_p50", p50, stats.p50, seconds),
            Figure(f"{key}_p90", p90, stats.p90, seconds),
        ]
    rows += [
        Figure(
            "concurrency", gettext("Concurrency (chats per signed-in operator)"), result.concurrency, figures.NUMBER
        ),
        Figure("occupancy", gettext("Occupancy"), result.occupancy, percent),
        Figure("ratings", gettext("Ratings"), result.ratings, count),
        Figure("csat", gettext("CSAT"), result.csat, figures.PERCENT_POINTS),
        Figure("mean_rating", gettext("Mean rating"), result.mean_rating, figures.NUMBER),
        Figure("rating_response_rate", gettext("Rating response rate"), result.rating_response_rate, percent),
        Figure("consultations", gettext("Stylist consultations"), result.consultations, count),
    ]
    return rows


Table = tuple[list[str], list[list[Any]]]


def operator_header() -> list[str]:
    return [
        gettext("operator"),
        gettext("chats"),
        gettext("handle time mean, s"),
        gettext("concurrency"),
        gettext("occupancy, %"),
        gettext("ratings"),
        gettext("CSAT, %"),
        gettext("consultations"),
    ]


# How each column of a history table is shown on screen (the CSV keeps the raw numbers).
OPERATOR_KINDS = [
    "",
    figures.COUNT,
    figures.SECONDS,
    figures.NUMBER,
    figures.PERCENT_POINTS,
    figures.COUNT,
    figures.PERCENT_POINTS,
    figures.COUNT,
]


def history_tables(
    filters: MetricFilters, viewer: Viewer, only: str | None = None, shown: dict[str, list[list[str]]] | None = None
) -> dict[str, Table]:
    """The history screen's tables by name (or just ``only``): what the page shows and the CSV exports.

    ``shown``, when given, gets each table's cells as the screen shows them (units, the page's language).
    """
    wanted = set(TABLE_TITLES) if only is None else {only}
    tables: dict[str, Table] = {}
    times: dict[int, tuple[float, float, float]] = {}
    with analytics_session():
        if wanted & {"summary", "operators"}:
            times = operator_time(filters)
        if wanted & {"summary", "ratings"}:
            base = summary(filters)
            concurrency, occupancy = concurrency_and_occupancy(times)
            result = Summary(**{**base.__dict__, "concurrency": concurrency, "occupancy": occupancy})
            summary_rows = summary_figures(result)
            tables["summary"] = (
                [gettext("metric"), gettext("value")],
                [[f.export_name, f.export_value] for f in summary_rows],
            )
            if shown is not None:
                shown["summary"] = [[f.name, f.text] for f in summary_rows]
            tables["ratings"] = (
                [gettext("stars"), gettext("ratings")],
                [[k, n] for k, n in result.rating_distribution.items()],
            )
        if "by_day" in wanted:
            tables["by_day"] = (
                [gettext("day"), gettext("chats"), gettext("abandoned")],
                [[d.isoformat(), n, a] for d, n, a in volume_by_day(filters)],
            )
        if "by_hour" in wanted:
            tables["by_hour"] = ([gettext("hour"), gettext("chats")], [list(row) for row in volume_by_hour(filters)])
        if "by_connector" in wanted:
            tables["by_connector"] = (
                [gettext("connector"), gettext("chats")],
                [list(row) for row in volume_by_connector(filters)],
            )
        if "by_reason" in wanted:
            tables["by_reason"] = (
                [gettext("reason"), gettext("chats")],
                [[name or gettext("(no reason)"), n] for name, n in volume_by_reason(filters)],
            )
        if "reason_trend" in wanted:
            tables["reason_trend"] = (
                [gettext("week"), gettext("reason"), gettext("chats")],
                [[week.isoformat(), name, n] for week, name, n in reason_trend(filters)],
            )
        if "operators" in wanted:
            operators = operator_table(filters, times=times)
            if not viewer.is_manager:
                operators = [row for row in operators if row.operator_id == filters.operator_id]
            tables["operators"] = (
                operator_header(),
                [
                    [
                        r.name,
                        r.chats,
                        r.handle_time_mean,
                        r.concurrency,
                        None if r.occupancy is None else round(r.occupancy * 100, 2),
                        r.ratings,
                        r.csat,
                        r.consultations,
                    ]
                    for r in operators
                ],
            )
        if "consultations" in wanted:
            tables["consultations"] = (
                [gettext("day"), gettext("consultations"), gettext("with questionnaire")],
                [[d.isoformat(), n, f] for d, n, f in consultations(filters)],
            )
    if shown is not None:
        if "by_connector" in tables:
            labels = dict(Connector.choices)
            shown["by_connector"] = [
                [str(labels.get(c, c)), _cell_text(n, [], 1)] for c, n in tables["by_connector"][1]
            ]
        for name, (_, rows) in tables.items():
            if name not in shown:
                kinds = OPERATOR_KINDS if name == "operators" else []
                shown[name] = [
                    [
                        figures.figure_text(cell, kinds[i] if i < len(kinds) else figures.COUNT)
                        for i, cell in enumerate(row)
                    ]
                    for row in rows
                ]
    return {name: tables[name] for name in TABLE_TITLES if name in tables and name in wanted}


TABLE_TITLES = {
    "summary": gettext_lazy("Summary"),
    "ratings": gettext_lazy("Ratings by stars"),
    "by_day": gettext_lazy("Chats by day"),
    "by_hour": gettext_lazy("Chats by hour of day"),
    "by_connector": gettext_lazy("Chats by connector"),
    "by_reason": gettext_lazy("Chats by reason"),
    "reason_trend": gettext_lazy("Reasons by week"),
    "operators": gettext_lazy("Operators"),
    "consultations": gettext_lazy("Stylist consultations"),
}


def _with_filters(view: Callable[..., HttpResponse]) -> Any:
    """Resolve the viewer and filters once; bad filters answer 400 with the reason."""

    @login_required
    @require_GET
    def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        viewer = viewer_for(request)
        try:
            filters, form = filters_for(request, viewer)
        except BadFilter as exc:
            return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
        return view(request, viewer, filters, form, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@login_required
def dashboard_home(request: HttpRequest) -> HttpResponse:
    return redirect("dashboard-live" if viewer_for(request).is_manager else "dashboard-history")


@_with_filters
def history(request: HttpRequest, viewer: Viewer, filters: MetricFilters, form: dict[str, Any]) -> HttpResponse:
    shown: dict[str, list[list[str]]] = {}
    tables = history_tables(filters, viewer, shown=shown)
    charts = {name: rows for name, (_, rows) in tables.items() if name != "summary"}
    if "by_connector" in charts:  # the legend names connectors as the table does
        charts["by_connector"] = [[row[0], row[1]] for row in shown["by_connector"]]
    context = {
        "viewer": viewer,
        "form": form,
        "tables": [
            (name, TABLE_TITLES[name], _shown_header(name, header), _table_body(shown[name]))
            for name, (header, _) in tables.items()
        ],
        "charts": charts,
        "chart_labels": {
            "chats": gettext("chats"),
            "abandoned": gettext("abandoned"),
            "ratings": gettext("ratings"),
            "no_reason": gettext("(no reason)"),
        },
        "connectors": Connector.choices,
        "queues": [(queue.pk, queue.localized_name()) for queue in Queue.objects.order_by("name")],
        "operators": list(Operator.objects.order_by("display_name").values_list("pk", "display_name"))
        if viewer.is_manager
        else [],
        "query": request.GET.urlencode(),
    }
    return render(request, "workspace/dashboard_history.html", context)


@_with_filters
def history_json(request: HttpRequest, viewer: Viewer, filters: MetricFilters, form: dict[str, Any]) -> JsonResponse:
    tables = history_tables(filters, viewer)
    return JsonResponse({"filters": form, "tables": {k: {"header": h, "rows": r} for k, (h, r) in tables.items()}})


def _cell_text(cell: Any, kinds: list[str], column: int) -> str:
    return figures.figure_text(cell, kinds[column] if column < len(kinds) else figures.COUNT)


def _shown_header(name: str, header: list[str]) -> list[str]:
    """The screen's column heads: the units are in the cells there ("1 min 48 s", "43 %")."""
    if name == "operators":
        return [
            gettext("operator"),
            gettext("chats"),
            gettext("handle time mean"),
            gettext("concurrency"),
            gettext("occupancy"),
            gettext("ratings"),
            gettext("CSAT"),
            gettext("consultations"),
        ]
    return header


def _table_body(rows: list[list[str]]) -> SafeString:
    """A table's rows (already formatted) as HTML, escaped.

    A month's operator table is a few thousand cells: built here it costs a fraction of the
    template loop (about 50 ms on the benchmark).
    """
    return mark_safe(  # noqa: S308 - every cell is escaped here
        "".join("<tr>" + "".join(f"<td>{conditional_escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@_with_filters
def export_csv(
    request: HttpRequest, viewer: Viewer, filters: MetricFilters, form: dict[str, Any], table: str
) -> HttpResponse:
    """One history table as CSV, with the filters in the file name."""
    if table not in TABLE_TITLES:
        return HttpResponseBadRequest(f"No table {table!r}.", content_type="text/plain; charset=utf-8")
    header, rows = history_tables(filters, viewer, only=table)[table]
    writer = csv.writer(_Echo())
    body = "".join(writer.writerow(line) for line in _csv_lines(header, rows))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{table}-{form["start"]}-{form["end"]}.csv"'
    return response


def _csv_lines(header: list[str], rows: Iterable[list[Any]]) -> Iterable[list[Any]]:
    yield header
    for row in rows:
        yield ["" if value is None else _csv_safe(value) for value in row]


def _csv_safe(value: Any) -> Any:
    """Keep a spreadsheet from running a reason name as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def live_payload(figures_now: LiveFigures | None = None) -> dict[str, Any]:
    """The live figures, raw: pushed to every manager at once, so live.js words them in each page's language."""
    if figures_now is None:
        with analytics_session():
            figures_now = live_figures()
    return {
        "queued": figures_now.queued,
        "longest_wait_seconds": figures_now.longest_wait_seconds,
        "active_chats": figures_now.active_chats,
        "no_first_reply_today": figures_now.no_first_reply_today,
        "operators": figures_now.operators,
        "today": [{"key": f.key, "value": f.value, "kind": f.kind} for f in summary_figures(figures_now.today)]
        if figures_now.today
        else [],
        "alerts": open_breaches(),
        "at": timezone.now().isoformat(),
    }


def live_page_context() -> dict[str, Any]:
    """The live payload plus its figures worded in this request's language (the page before any push)."""
    with analytics_session():
        figures_now = live_figures()
    today = summary_figures(figures_now.today) if figures_now.today else []
    operators = [
        {**op, "status_text": figures.status_text(op["status"]), "load_text": figures.load_text(op["load"], op["cap"])}
        for op in figures_now.operators
    ]
    return {
        "live": live_payload(figures_now),
        "longest_wait": figures.duration_text(figures_now.longest_wait_seconds),
        "operators": operators,
        "today": today,
        "strings": {**figures.live_strings(), "names": {f.key: f.name for f in today}},
        "manager": True,
    }


@login_required
@require_GET
def live(request: HttpRequest) -> HttpResponse:
    require_manager(request)
    return render(request, "workspace/dashboard_live.html", live_page_context())


@login_required
@require_GET
def live_json(request: HttpRequest) -> JsonResponse:
    require_manager(request)
    return JsonResponse(live_payload())


@login_required
@require_GET
def alerts_json(request: HttpRequest) -> JsonResponse:
    """Open breaches, for the banner on any manager page (an operator gets an empty list)."""
    if not viewer_for(request).is_manager:
        return JsonResponse({"alerts": []})
    return JsonResponse({"alerts": open_breaches()})


def _parse_target(post: Any, metric: str) -> TargetSettings | None:
    """One target's fields from the form; None when its threshold is left empty (switched off)."""
    raw = post.get(f"{metric}-threshold", "").strip()
    if not raw:
        return None
    try:
        threshold = float(raw.replace(",", "."))  # "60,5" as a Russian keyboard writes it
    except ValueError as exc:
        raise BadFilter(f"{TargetMetric(metric).label}: the threshold must be a number.") from exc
    if threshold < 0 or (metric in (TargetMetric.SERVICE_LEVEL, TargetMetric.CSAT) and threshold > 100):
        raise BadFilter(f"{TargetMetric(metric).label}: the threshold is out of range.")
    window = post.get(f"{metric}-window", "").strip() or "60"
    if not window.isdigit() or not 1 <= int(window) <= 1440:
        raise BadFilter(f"{TargetMetric(metric).label}: the window is 1 to 1440 minutes.")
    seconds = post.get(f"{metric}-seconds", "").strip() or None
    if metric == TargetMetric.SERVICE_LEVEL and (seconds is None or not seconds.isdigit() or int(seconds) < 1):
        raise BadFilter("Service level: T must be a whole number of seconds.")
    return TargetSettings(
        threshold=threshold,
        window_minutes=int(window),
        service_level_seconds=int(seconds) if seconds and metric == TargetMetric.SERVICE_LEVEL else None,
    )


def _number_for_input(value: float) -> str:
    """A number as an ``<input type="number">`` reads it in every language: "60", "0.5", never "60,0"."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


@login_required
@require_http_methods(["GET", "POST"])
def targets(request: HttpRequest) -> HttpResponse:
    """Set the targets (empty threshold: off) and list every breach, newest first."""
    require_manager(request)
    error = ""
    if request.method == "POST":
        try:
            parsed = {metric: _parse_target(request.POST, metric) for metric in TargetMetric.values}
        except BadFilter as exc:
            error = str(exc)
        else:
            do_set_service_targets(parsed, updated_by_id=request.user.pk)
            messages.success(request, gettext("Targets saved."))
            return redirect("dashboard-targets")
    current = {t.metric: t for t in ServiceTarget.objects.filter(is_active=True)}
    rows = [
        {
            "metric": metric,
            "label": label,
            "target": current.get(metric),
            "threshold": _number_for_input(current[metric].threshold) if metric in current else "",
        }
        for metric, label in TargetMetric.choices
    ]
    breaches = [breach_payload(b) for b in TargetBreach.objects.order_by("-started_at", "-id")[:200]]
    status = 400 if error else 200
    return render(
        request,
        "workspace/dashboard_targets.html",
        {"rows": rows, "breaches": breaches, "error": error, "manager": True},
        status=status,
    )


@login_required
@require_GET
def breaches_csv(request: HttpRequest) -> HttpResponse:
    require_manager(request)
    header = ["metric", "threshold", "started_at", "ended_at", "first_value", "worst_value", "last_value"]
    rows = TargetBreach.objects.order_by("-started_at", "-id").values_list(*header)
    writer = csv.writer(_Echo())
    body = "".join(writer.writerow(line) for line in _csv_lines(header, ([*row] for row in rows)))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="target-breaches.csv"'
    return response
