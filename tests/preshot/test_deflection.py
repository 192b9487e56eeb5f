"""Deflection: answers opened with no chat within the window, over answers offered, by rule,
article and day."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings

from chat.actions.setup import do_ensure_queue
from chat.models import Contact, Conversation
from preshot.actions import do_record_event
from preshot.metrics import deflection
from preshot.models import Rule
from tests.preshot.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def chat_at(contact: Contact, hours: float) -> None:
    queue = do_ensure_queue(slug="general", name="General", skill_slug="general", skill_name="General")
    Conversation.objects.create(
        connector="widget", contact=contact, queue=queue, created_at=NOW + timedelta(hours=hours)
    )


@override_settings(SWITCHBOARD_DEFLECTION_WINDOW_HOURS=24)
def test_the_deflection_rate_by_rule_article_and_day() -> None:
    track, refund = (
        Rule.objects.get(article_key="track-order", min_days=0),
        Rule.objects.filter(article_key="refund-status").first(),
    )
    assert refund is not None
    shoppers = [Contact.objects.create(name=f"s{i}") for i in range(5)]

    def offer(contact: Contact, rule: Rule, *kinds: str, hours: float = 0) -> None:
        for kind in ("shown", *kinds):
            do_record_event(
                kind,
                article_key=rule.article_key,
                rule_id=rule.pk,
                contact_id=contact.pk,
                language="en",
                at=NOW + timedelta(hours=hours),
            )

    offer(shoppers[0], track, "opened")  # deflected
    offer(shoppers[1], track, "opened")  # chats 3 h later: not deflected
    chat_at(shoppers[1], 3)
    offer(shoppers[2], track, "opened")  # chats 30 h later: past the window, deflected
    chat_at(shoppers[2], 30)
    offer(shoppers[3], refund, "opened", "still_need_help")  # pressed "still need help"
    offer(shoppers[4], refund, hours=25)  # shown the next day, never opened

    figures = deflection(NOW - timedelta(days=1), NOW + timedelta(days=2))
    assert (figures.total.offered, figures.total.opened, figures.total.deflected) == (5, 4, 2)
    assert figures.total.still_need_help == 1
    assert figures.total.rate == pytest.approx(2 / 5)
    assert figures.by_rule[track.pk].rate == pytest.approx(2 / 3)
    assert figures.by_article["refund-status"].rate == 0
    assert [(d.isoformat(), f.offered, f.deflected) for d, f in sorted(figures.by_day.items())] == [
        ("2026-12-03", 4, 2),
        ("2026-12-04", 1, 0),
    ]
    # A longer window: the chat 30 h later now counts against its answer.
    assert deflection(NOW - timedelta(days=1), NOW + timedelta(days=2), window_hours=48).total.deflected == 1


def test_no_offers_no_rate() -> None:
    assert deflection(NOW, NOW + timedelta(days=1)).total.rate is None


def test_a_contact_merge_takes_the_log_along_and_its_undo_brings_it_back(make_operator: Any) -> None:
    from chat.actions.contacts import do_merge_contacts, do_undo_merge

    manager = make_operator("Maria", is_manager=True)
    source, target = Contact.objects.create(name="a"), Contact.objects.create(name="b")
    event = do_record_event("opened", article_key="track-order", contact_id=source.pk, language="en", at=NOW)
    merge = do_merge_contacts(source_id=source.pk, target_id=target.pk, operator_id=manager.pk)
    event.refresh_from_db()
    assert event.contact_id == target.pk
    do_undo_merge(merge_id=merge.pk, operator_id=manager.pk)
    event.refresh_from_db()
    assert event.contact_id == source.pk
