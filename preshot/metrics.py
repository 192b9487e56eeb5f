"""Deflection figures (docs/metrics.md): of the answers offered, how many were opened and not
followed by a chat within ``SWITCHBOARD_DEFLECTION_WINDOW_HOURS`` ("still need help" counts as a chat).

    deflection rate = answers opened with no chat within N hours / answers offered

Made from the event log at read time, so changing the window changes past figures too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from chat.models import Conversation
from preshot.models import EventKind, SuggestionEvent


@dataclass
class Funnel:
    offered: int = 0
    opened: int = 0
    still_need_help: int = 0
    deflected: int = 0

    @property
    def rate(self) -> float | None:
        return None if not self.offered else self.deflected / self.offered


@dataclass
class DeflectionFigures:
    total: Funnel
    by_rule: dict[int | None, Funnel]
    by_article: dict[str, Funnel]
    by_day: dict[date, Funnel]


def deflection(start: datetime, end: datetime, window_hours: int | None = None) -> DeflectionFigures:
    """The funnel for events in ``[start, end)``, whole and split by rule, article and day."""
    window = timedelta(hours=window_hours or settings.SWITCHBOARD_DEFLECTION_WINDOW_HOURS)
    events = list(SuggestionEvent.objects.filter(at__gte=start, at__lt=end).order_by("at", "id"))
    contact_ids = {e.contact_id for e in events if e.contact_id is not None}
    chats: dict[int, list[datetime]] = defaultdict(list)
    for contact_id, created_at in Conversation.objects.filter(
        contact_id__in=contact_ids, created_at__gte=start, created_at__lt=end + window
    ).values_list("contact_id", "created_at"):
        chats[contact_id].append(created_at)
    helped: dict[tuple[int | None, str], list[datetime]] = defaultdict(list)
    for e in events:
        if e.kind == EventKind.STILL_NEED_HELP:
            helped[(e.contact_id, e.article_key)].append(e.at)

    total = Funnel()
    by_rule: defaultdict[int | None, Funnel] = defaultdict(Funnel)
    by_article: defaultdict[str, Funnel] = defaultdict(Funnel)
    by_day: defaultdict[date, Funnel] = defaultdict(Funnel)
    for e in events:
        day = timezone.localtime(e.at).date()
        funnels = (total, by_rule[e.rule_id], by_article[e.article_key], by_day[day])
        for funnel in funnels:
            if e.kind == EventKind.SHOWN:
                funnel.offered += 1
            elif e.kind == EventKind.STILL_NEED_HELP:
                funnel.still_need_help += 1
            else:
                funnel.opened += 1
        if e.kind != EventKind.OPENED:
            continue
        until = e.at + window
        chatted = e.contact_id is not None and any(e.at <= at <= until for at in chats[e.contact_id])
        asked = any(e.at <= at <= until for at in helped[(e.contact_id, e.article_key)])
        if not (chatted or asked):
            for funnel in funnels:
                funnel.deflected += 1
    return DeflectionFigures(total, dict(by_rule), dict(by_article), dict(by_day))
