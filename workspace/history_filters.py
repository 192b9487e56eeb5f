"""The conversation history's filters and its keyset paging, shared by every screen that lists chats.

``parse_history_filters(request.GET)`` turns query parameters (from a stranger: anything at all)
into a :class:`HistoryFilters`, or raises ``InvalidForm`` naming each bad field; ``.apply(qs)``
narrows any conversation queryset with them. The history list, its API, the export and search use
the same two calls, so a filter means the same thing everywhere (docs/history.md).

Paging is by keyset, newest first on ``(created_at, id)``: a page ends at a cursor holding the last
row's pair, and the next page is what sorts strictly after it. New chats sort before the first page,
so paging on while they arrive neither repeats nor skips a row, and ties on the time are broken by id.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet, Subquery
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from chat.errors import InvalidForm
from chat.metrics import day_start
from chat.models import Connector, Conversation, ConversationState, Operator, Queue, Rating, Reason
from chat.untrusted import MAX_ID
from workspace.selectors import readable_by

PAGE_SIZE = 50
PAGE_MAX = 200
LOW_RATING_MAX_STARS = 2
CONSULTATION_QUEUE = "stylist"
# The query parameters, in the order a form shows them.
FILTER_FIELDS = (
    "connector",
    "queue",
    "operator",
    "state",
    "reason",
    "rating",
    "low_rating",
    "consultation",
    "from",
    "to",
)


@dataclass(frozen=True)
class HistoryFilters:
    """What to list; every field empty (None, False, "") means "any"."""

    connector: str = ""
    queue_id: int | None = None
    operator_id: int | None = None
    state: str = ""
    reason_id: int | None = None
    rating: int | None = None  # exactly this many stars
    low_rating: bool = False  # rated 1 or 2 stars
    consultation: bool | None = None  # True: stylist consultations only; False: none of them
    date_from: date | None = None  # from this local day (the list: opened; search: written)
    date_to: date | None = None  # to this local day, included

    def conversation_q(self, prefix: str = "") -> Q:
        """Every filter but the dates, as lookups on a conversation under ``prefix`` (``conversation__``
        from a message).

        Ratings are matched as ``id IN (the rated conversations)``, not a join: the planner can then
        start from ``chat_rating (stars, conversation_id)`` or test each row newest first, whichever
        is cheaper (docs/benchmarks.md, "Search" and "History").
        """
        q = Q()
        fields = {
            "connector": self.connector or None,
            "queue_id": self.queue_id,
            "operator_id": self.operator_id,
            "state": self.state or None,
            "reason_id": self.reason_id,
        }
        for field, value in fields.items():
            if value is not None:
                q &= Q(**{prefix + field: value})
        rated = self.rated_conversations()
        if rated is not None:
            q &= Q(**{(prefix + "id" if prefix else "pk") + "__in": Subquery(rated)})
        if self.consultation is not None:
            # By the queue's id, not a join on its slug: the planner knows how rare that id is.
            stylist_id = Queue.objects.filter(slug=CONSULTATION_QUEUE).values_list("pk", flat=True).first() or 0
            stylist = Q(**{prefix + "queue_id": stylist_id})
            q &= stylist if self.consultation else ~stylist
        return q

    def rated_conversations(self) -> QuerySet[Rating, Any] | None:
        """The ids of the conversations the rating filters keep (None: no rating filter)."""
        if not self.rates():
            return None
        ratings = Rating.objects.all()
        if self.rating is not None:
            ratings = ratings.filter(stars=self.rating)
        if self.low_rating:
            ratings = ratings.filter(stars__lte=LOW_RATING_MAX_STARS)
        return ratings.values("conversation_id")

    def time_range(self) -> tuple[datetime | None, datetime | None]:
        """``[start, end)``: the start of ``date_from`` and of the day after ``date_to``, site time."""
        start = day_start(self.date_from) if self.date_from is not None else None
        end = day_start(self.date_to + timedelta(days=1)) if self.date_to is not None else None
        return start, end

    def rates(self) -> bool:
        """Whether a rating filter is set (search reads such pages newest first, docs/search.md)."""
        return self.rating is not None or self.low_rating

    def apply(self, conversations: QuerySet[Conversation]) -> QuerySet[Conversation]:
        """The conversations that match (dates: the day they were opened), other filters kept."""
        q = self.conversation_q()
        start, end = self.time_range()
        if start is not None:
            q &= Q(created_at__gte=start)
        if end is not None:
            q &= Q(created_at__lt=end)
        return conversations.filter(q)

    def as_params(self) -> dict[str, str]:
        """The filters as query parameters again (links to the next page keep them)."""
        values = {
            "connector": self.connector,
            "queue": self.queue_id,
            "operator": self.operator_id,
            "state": self.state,
            "reason": self.reason_id,
            "rating": self.rating,
            "low_rating": "1" if self.low_rating else "",
            "consultation": "" if self.consultation is None else ("1" if self.consultation else "0"),
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }
        return {key: str(value) for key, value in values.items() if value not in (None, "")}

    def is_empty(self) -> bool:
        return self == HistoryFilters()


def _row_id(raw: str, field: str, errors: dict[str, list[str]], rows: QuerySet[Any]) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID or not rows.filter(pk=int(raw)).exists():
        errors[field] = [_("Choose one from the list.")]
        return None
    return int(raw)


def _either(raw: str, field: str, errors: dict[str, list[str]]) -> bool | None:
    """Yes, no, or (empty) either."""
    if not raw:
        return None
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    errors[field] = [_("Use 1 (yes) or 0 (no).")]
    return None


def _flag(raw: str, field: str, errors: dict[str, list[str]]) -> bool:
    return bool(_either(raw, field, errors))


def _day(raw: str, field: str, errors: dict[str, list[str]]) -> date | None:
    if not raw:
        return None
    try:
        day = parse_date(raw)
    except ValueError:
        day = None
    if day is None or not 2000 <= day.year <= 2999:
        errors[field] = [_("Enter a date as YYYY-MM-DD.")]
        return None
    return day


def parse_history_filters(params: Mapping[str, str]) -> HistoryFilters:
    """Filters from query parameters (``request.GET`` or the API's), checked field by field.

    Raises ``InvalidForm`` whose ``errors`` names every bad field; unknown parameters are ignored.
    """
    raw = {field: str(params.get(field) or "").strip()[:40] for field in FILTER_FIELDS}
    errors: dict[str, list[str]] = {}
    connector = raw["connector"]
    if connector and connector not in Connector.values:
        errors["connector"] = [_("Choose one from the list.")]
    state = raw["state"]
    if state and state not in ConversationState.values:
        errors["state"] = [_("Choose one from the list.")]
    rating = None
    if raw["rating"]:
        if raw["rating"] in ("1", "2", "3", "4", "5"):
            rating = int(raw["rating"])
        else:
            errors["rating"] = [_("Choose 1 to 5 stars.")]
    filters = HistoryFilters(
        connector=connector,
        queue_id=_row_id(raw["queue"], "queue", errors, Queue.objects.all()),
        operator_id=_row_id(raw["operator"], "operator", errors, Operator.objects.all()),
        state=state,
        reason_id=_row_id(raw["reason"], "reason", errors, Reason.objects.all()),
        rating=rating,
        low_rating=_flag(raw["low_rating"], "low_rating", errors),
        consultation=_either(raw["consultation"], "consultation", errors),
        date_from=_day(raw["from"], "from", errors),
        date_to=_day(raw["to"], "to", errors),
    )
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        errors["to"] = [_("The end date is before the start date.")]
    if errors:
        details = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
        raise InvalidForm(errors, _("Please correct the filters: %(details)s") % {"details": details})
    return filters


# --- Keyset paging ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the last row's ``(created_at, id)``."""

    created_at: datetime
    conversation_id: int

    def encode(self) -> str:
        raw = f"{self.created_at.isoformat(timespec='microseconds')}|{self.conversation_id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """The cursor a page handed out; anything else (edited, truncated, foreign) is refused."""
        problem = _("This page link is not valid; start from the first page.")
        refused = InvalidForm({"cursor": [problem]}, f"cursor: {problem}")
        if not token or len(token) > 120:
            raise refused
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            at_text, id_text = raw.split("|")
            at = parse_datetime(at_text)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise refused from None
        if at is None or at.tzinfo is None or not id_text.isdigit() or not 1 <= int(id_text) <= MAX_ID:
            raise refused
        return cls(created_at=at, conversation_id=int(id_text))


@dataclass(frozen=True)
class HistoryPage:
    conversations: list[Conversation]
    next_cursor: str | None


def history_page(
    *, operator: Operator, filters: HistoryFilters, cursor: str | None = None, limit: int = PAGE_SIZE
) -> HistoryPage:
    """One page of the conversations the operator may read, newest first, with what the list shows."""
    limit = max(1, min(limit, PAGE_MAX))
    rows = filters.apply(Conversation.objects.filter(readable_by(operator)))
    if cursor:
        after = Cursor.decode(cursor)
        rows = rows.filter(
            Q(created_at__lt=after.created_at) | Q(created_at=after.created_at, pk__lt=after.conversation_id)
        )
    page = list(
        rows.select_related("contact", "queue", "operator", "reason", "rating").order_by("-created_at", "-id")[
            : limit + 1
        ]
    )
    more = len(page) > limit
    page = page[:limit]
    next_cursor = Cursor(page[-1].created_at, page[-1].pk).encode() if more and page else None
    return HistoryPage(conversations=page, next_cursor=next_cursor)


def filter_choices() -> dict[str, object]:
    """What the filter form offers: queues and operators by name, in the active language."""
    return {
        "connectors": Connector.choices,
        "states": ConversationState.choices,
        "queues": [(q.pk, q.localized_name()) for q in Queue.objects.order_by("name")],
        "operators": list(Operator.objects.order_by("display_name").values_list("pk", "display_name")),
        "reasons": [(r.pk, r.localized_name()) for r in Reason.objects.order_by("position", "id")],
    }
