"""The search box and its page cursor, read from a request.

The filters beside the box are the history list's (``workspace.history_filters``): one dataclass,
one parser, one meaning on every screen and in the API.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SearchForm(forms.Form):
    """The query and the page it continues from; the filters are parsed by the history's parser."""

    q = forms.CharField(label=pgettext_lazy("navigation", "Search"), max_length=200, required=False, strip=True)
    before = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)

    def clean_q(self) -> str:
        value: str = self.cleaned_data["q"]
        if "\x00" in value:
            raise forms.ValidationError(_("The search contains a character that cannot be searched; remove it."))
        return value

    def clean_before(self) -> tuple[dt.datetime, int] | None:
        value: str = self.cleaned_data["before"]
        if not value:
            return None
        cursor = parse_cursor(value)
        if cursor is None:
            raise forms.ValidationError(_("This page link is not valid; start the search again."))
        return cursor


def format_cursor(created_at: dt.datetime, message_id: int) -> str:
    """The keyset of the last result shown: the next page starts below it."""
    return f"{created_at.astimezone(dt.UTC).isoformat()}_{message_id}"


def parse_cursor(value: str) -> tuple[dt.datetime, int] | None:
    stamp, _sep, number = value.rpartition("_")
    try:
        at = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if at.tzinfo is None or not number.isdigit() or int(number) > 2**63 - 1:
        return None
    return at, int(number)
