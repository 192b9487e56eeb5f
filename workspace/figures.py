"""Dashboard figures as a manager reads them, in the page's language: "1 min 48 s", "43 %", "2 of 4".

The numbers stay raw in the CSV and JSON exports (spreadsheets sum them); only what is shown on a
screen goes through here. ``static/dashboard/live.js`` formats pushed figures by the same rules with
the words :func:`live_strings` puts on the page.
"""

from __future__ import annotations

from typing import Any

from django.utils.formats import localize
from django.utils.translation import gettext, pgettext

# What a figure counts, so each is shown with its one unit.
COUNT = "count"
SECONDS = "seconds"
PERCENT = "percent"  # stored as a fraction 0-1
PERCENT_POINTS = "points"  # stored as 0-100 already (CSAT)
NUMBER = "number"
DASH = "–"

# Under this many seconds a duration keeps its seconds ("9 min 5 s"); above it, minutes are enough.
SECONDS_SHOWN_BELOW = 600


def duration_text(seconds: float | None) -> str:
    """Seconds as people say them: "48 s", "1 min 48 s", "26 min", "2 h 5 min"."""
    if seconds is None:
        return DASH
    total = max(0, round(seconds))
    if total < 60:
        return gettext("%(seconds)d s") % {"seconds": total}
    if total < SECONDS_SHOWN_BELOW:
        minutes, rest = divmod(total, 60)
        if rest == 0:
            return gettext("%(minutes)d min") % {"minutes": minutes}
        return gettext("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": rest}
    minutes = round(total / 60)
    if minutes < 60:
        return gettext("%(minutes)d min") % {"minutes": minutes}
    hours, rest = divmod(minutes, 60)
    if rest == 0:
        return gettext("%(hours)d h") % {"hours": hours}
    return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}


def percent_text(points: float | None) -> str:
    if points is None:
        return DASH
    return f"{localize(round(points, 1))} %"


def figure_text(value: Any, kind: str) -> str:
    """One figure for a screen: a dash when there is none, else in its unit and the page's number format."""
    if value is None:
        return DASH
    if kind == SECONDS:
        return duration_text(value)
    if kind == PERCENT:
        return percent_text(value * 100)
    if kind == PERCENT_POINTS:
        return percent_text(value)
    if isinstance(value, float):
        return str(localize(round(value, 2)))
    return str(localize(value))


def load_text(load: int, cap: int) -> str:
    return gettext("%(load)s of %(cap)s") % {"load": load, "cap": cap}


def live_strings() -> dict[str, str]:
    """The words live.js needs to format pushed figures in the page's language."""
    return {
        "s": gettext("%(seconds)d s"),
        "min": gettext("%(minutes)d min"),
        "min_s": gettext("%(minutes)d min %(seconds)d s"),
        "h": gettext("%(hours)d h"),
        "h_min": gettext("%(hours)d h %(minutes)d min"),
        "of": gettext("%(load)s of %(cap)s"),
        "online": pgettext("operator status", "online"),
        "away": pgettext("operator status", "away"),
        "offline": pgettext("operator status", "offline"),
    }


def status_text(status: str) -> str:
    return live_strings().get(status, status)
