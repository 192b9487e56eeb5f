"""What a search may be narrowed to, as one frozen value, and the form that reads it from a request.

The history list (workspace/history_filters.py) narrows conversations by the same fields; the two
are meant to become one type. Until then this one stays small and only says what search needs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat.models import Connector, ConversationState, Operator, Queue, Reason

STYLIST_QUEUE = "stylist"
RATING_CHOICES = [("", "")] + [(str(stars), str(stars)) for stars in range(1, 6)] + [("low", "1-2")]


@dataclass(frozen=True)
class SearchFilters:
    connector: str = ""
    queue_id: int | None = None
    operator_id: int | None = None
    state: str = ""
    reason_id: int | None = None
    stars: int | None = None  # exactly these stars
    low_rating: bool = False  # 1 or 2 stars
    consultation: bool | None = None  # True: stylist consultations only; False: none of them
    date_from: dt.date | None = None  # message dates, in the site's time zone, both ends included
    date_to: dt.date | None = None

    def conversation_q(self, prefix: str = "") -> Q:
        """The conversation-side filters as a Q, its lookups under ``prefix`` (``conversation__``)."""
        q = Q()
        fields: dict[str, Any] = {
            "queue_id": self.queue_id,
            "operator_id": self.operator_id,
            "state": self.state or None,
            "reason_id": self.reason_id,
            "rating__stars": self.stars,
        }
        for field, value in fields.items():
            if value is not None:
                q &= Q(**{prefix + field: value})
        if self.connector:
            q &= Q(**{prefix + "connector": self.connector})
        if self.low_rating:
            q &= Q(**{prefix + "rating__stars__lte": 2})
        if self.consultation is not None:
            # By the queue's id, not a join on its slug: the planner knows how rare that id is.
            stylist_id = Queue.objects.filter(slug=STYLIST_QUEUE).values_list("pk", flat=True).first() or 0
            stylist = Q(**{prefix + "queue_id": stylist_id})
            q &= stylist if self.consultation else ~stylist
        return q

    def time_range(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """``[start, end)`` as aware datetimes: the start of ``date_from``, the end of ``date_to``."""
        zone = timezone.get_current_timezone()
        start = dt.datetime.combine(self.date_from, dt.time.min, zone) if self.date_from else None
        end = dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time.min, zone) if self.date_to else None
        return start, end


class SearchForm(forms.Form):
    """The query and its filters from a query string; every field is optional and checked on its own."""

    q = forms.CharField(label=_("Search"), max_length=200, required=False, strip=True)
    connector = forms.ChoiceField(label=_("Connector"), required=False)
    queue = forms.ModelChoiceField(label=_("Queue"), queryset=Queue.objects.order_by("name"), required=False)
    operator = forms.ModelChoiceField(
        label=_("Operator"), queryset=Operator.objects.order_by("display_name"), required=False
    )
    state = forms.ChoiceField(label=_("State"), required=False)
    reason = forms.ModelChoiceField(label=_("Reason"), queryset=Reason.objects.all(), required=False)
    rating = forms.ChoiceField(label=_("Rating"), choices=RATING_CHOICES, required=False)
    consultation = forms.NullBooleanField(
        label=_("Consultation"),
        required=False,
        widget=forms.Select(choices=[("", "—"), ("true", _("Consultations only")), ("false", _("No consultations"))]),
    )
    date_from = forms.DateField(label=_("First day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Last day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    before = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["connector"].choices = [("", "—"), *Connector.choices]  # type: ignore[attr-defined]
        self.fields["state"].choices = [("", "—"), *ConversationState.choices]  # type: ignore[attr-defined]
        for name in ("queue", "operator", "reason"):
            self.fields[name].empty_label = "—"  # type: ignore[attr-defined]

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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> SearchFilters:
        data = self.cleaned_data
        rating = data.get("rating") or ""
        return SearchFilters(
            connector=data.get("connector") or "",
            queue_id=data["queue"].pk if data.get("queue") else None,
            operator_id=data["operator"].pk if data.get("operator") else None,
            state=data.get("state") or "",
            reason_id=data["reason"].pk if data.get("reason") else None,
            stars=int(rating) if rating.isdigit() else None,
            low_rating=rating == "low",
            consultation=data.get("consultation"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


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
