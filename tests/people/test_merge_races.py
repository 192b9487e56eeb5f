"""Concurrent merges of the same contacts on PostgreSQL, in real threads (each its own connection):
nothing is lost, nothing doubled, no row is left on a merged contact, and undoing what won restores
the start exactly."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection, connections

from chat.actions import InboundMessage, do_merge_contacts, do_receive_inbound, do_undo_merge
from chat.errors import ChatError
from chat.models import Contact, ContactMerge, Conversation, Identity, Operator
from tests.people.conftest import snapshot

pytestmark = [pytest.mark.django_db(transaction=True)]


def run_together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Start every call at the same moment, each in its own thread and database connection."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
@pytest.mark.parametrize("round_", range(3))
def test_concurrent_merges_lose_and_double_nothing(
    round_: int, queues: Any, make_operator: Callable[..., Operator]
) -> None:
    anna = make_operator("Anna")
    senders = [("widget", f"v-{round_}"), ("telegram", f"1{round_}"), ("vk", f"2{round_}")]
    contacts = []
    for connector, sender in senders:
        do_receive_inbound(InboundMessage(connector=connector, sender_id=sender, text="hi"))
        contacts.append(Identity.objects.get(connector=connector, external_id=sender).contact_id)
    a, b, c = contacts
    start = snapshot()
    pairs = [(a, b), (b, a), (a, c), (c, a), (b, c), (c, b)]
    calls: list[Callable[[], Any]] = [
        partial(do_merge_contacts, source_id=s, target_id=t, operator_id=anna.pk) for s, t in pairs
    ]
    # A shopper writing from a contact being merged away must land on a live contact.
    calls.append(lambda: do_receive_inbound(InboundMessage(connector="vk", sender_id=f"2{round_}", text="again")))
    outcomes = run_together(calls)
    unexpected = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, ChatError)]
    assert unexpected == []

    merges = list(ContactMerge.objects.order_by("pk"))
    assert len(merges) == 2, "three contacts become one in exactly two merges"
    roots = list(Contact.objects.filter(pk__in=contacts, merged_into__isnull=True).values_list("pk", flat=True))
    assert len(roots) == 1
    root = roots[0]
    assert set(Contact.objects.filter(pk__in=contacts).exclude(pk=root).values_list("merged_into_id", flat=True)) == {
        root
    }
    # Every identity and conversation is still there, once, on the one live contact.
    assert Identity.objects.filter(contact_id__in=contacts).count() == 3
    assert set(Identity.objects.filter(contact_id__in=contacts).values_list("contact_id", flat=True)) == {root}
    assert set(Conversation.objects.filter(contact_id__in=contacts).values_list("contact_id", flat=True)) == {root}
    assert Conversation.objects.filter(contact_id__in=contacts).count() == 3

    for merge in reversed(merges):
        do_undo_merge(merge_id=merge.pk, operator_id=anna.pk)
    after = snapshot()
    # The message written meanwhile may have opened nothing new (it joined the open chat): the rows
    # present at the start are back exactly where they were.
    assert after["identities"] == start["identities"]
    assert after["conversations"] == start["conversations"]
    assert after["contacts"] == start["contacts"]
