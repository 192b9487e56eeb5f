"""Notices go out like operator replies: Telegram's 429 is waited out and the notice arrives once,
a blocked bot is recorded as failed (and shown in the admin), VK never gets one twice, a notice whose
task was lost is sent by the next run, and a widget shopper sees theirs when the widget opens or at
once while it is open, in one widget only."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from chat.models import Contact, Identity
from connectors.widget.signing import issue_token
from orders.models import Order
from preshot import notices
from preshot.actions import do_consent_to_notices
from preshot.models import Notice
from preshot.notices import deliver_notice, send_due_notices
from tests.connectors.conftest import (
    fake_telegram,
    fake_vk,
    fixture,
    post_event,
    post_update,
    telegram_server,
    vk_server,
)
from tests.connectors.helpers import retries_recorded
from tests.fakes.telegram import BLOCKED, FakeTelegram, too_many_requests
from tests.fakes.vk import PRIVACY, TOO_MANY_REQUESTS, FakeVk
from tests.widget.conftest import widget_client

__all__ = ["fake_telegram", "fake_vk", "post_event", "post_update", "telegram_server", "vk_server", "widget_client"]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.embedded,
    pytest.mark.usefixtures("articles", "queues"),
]

LATE_RU = "Посылка не пришла к обещанному сроку"


def late_order(contact: Contact, number: str, *, promised_hours_ago: float = 3) -> Order:
    """Shipped two days ago, promised ``promised_hours_ago`` hours ago (negative: still to come)."""
    now = timezone.now()
    return Order.objects.create(
        number=number, status="shipped", placed_at=now - timedelta(days=3), shipped_at=now - timedelta(days=2),
        status_changed_at=now - timedelta(days=2), promised_delivery_at=now - timedelta(hours=promised_hours_ago),
        contact=contact, tracking_url=f"https://carrier.example/t/{number}",
    )  # fmt: skip


def telegram_shopper(post_update: Callable[..., Any], language: str = "ru") -> Contact:
    post_update(fixture("telegram", "message__text"))
    contact = Identity.objects.get(connector="telegram", external_id="111222333").contact
    contact.language = language
    contact.save()
    do_consent_to_notices(contact_id=contact.pk, connector="telegram")
    return contact


def test_late_against_the_promise_is_told_with_its_answer_and_not_before(
    post_update: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    contact = telegram_shopper(post_update)
    late_order(contact, "PROM-1")
    late_order(contact, "PROM-2", promised_hours_ago=-20)  # the promise is tomorrow: not late
    fake_telegram.reset()

    assert send_due_notices() == 1
    [sent] = fake_telegram.calls("sendMessage")
    assert "PROM-1" in sent.params["text"] and LATE_RU in sent.params["text"]
    assert "Посылка задерживается" in sent.params["text"]  # the late-parcel article's title
    [[help_button]] = json.loads(sent.params["reply_markup"])["inline_keyboard"]
    assert help_button["text"] == "Нужна помощь"
    notice = Notice.objects.get()
    assert (notice.order.number, notice.state, notice.attempts) == ("PROM-1", "sent", 1)
    assert notice.external_id == f"111222333:{fake_telegram.delivered[0]['message_id']}"
    assert send_due_notices() == 0 and len(fake_telegram.calls("sendMessage")) == 1


def test_a_429_is_waited_out_and_the_notice_arrives_once(
    post_update: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    contact = telegram_shopper(post_update, language="en")
    late_order(contact, "PROM-3")
    fake_telegram.reset()
    fake_telegram.fail_next("sendMessage", too_many_requests(4))

    with retries_recorded() as countdowns:
        assert send_due_notices() == 1
    assert countdowns == [4.0]
    assert len(fake_telegram.calls("sendMessage")) == 2
    [delivered] = fake_telegram.delivered
    assert "My parcel is late against the carrier's promise" in delivered["text"]
    notice = Notice.objects.get()
    assert (notice.state, notice.error, notice.attempts) == ("sent", "", 2)


def test_a_blocked_bot_is_recorded_as_failed_not_retried_and_shown_in_the_admin(
    post_update: Callable[..., Any], fake_telegram: FakeTelegram, admin_client: Any
) -> None:
    contact = telegram_shopper(post_update)
    late_order(contact, "PROM-4")
    fake_telegram.reset()
    fake_telegram.fail_next("sendMessage", BLOCKED)

    with retries_recorded() as countdowns:
        send_due_notices()
    assert countdowns == []
    notice = Notice.objects.get()
    assert notice.state == "failed" and "blocked" in notice.error and notice.attempts == 1
    assert send_due_notices() == 0 and len(fake_telegram.calls("sendMessage")) == 1  # told at most once

    page = admin_client.get("/admin/preshot/notice/?state__exact=failed").content.decode()
    assert "PROM-4" in page and "blocked" in page


def test_vk_notices_are_retried_and_never_doubled(
    post_event: Callable[..., Any], fake_vk: FakeVk, settings: Any
) -> None:
    post_event(fixture("vk", "message_new__text"))
    contact = Identity.objects.get(connector="vk").contact
    do_consent_to_notices(contact_id=contact.pk, connector="vk")
    late_order(contact, "PROM-5")
    fake_vk.reset()
    fake_vk.fail_next("messages.send", TOO_MANY_REQUESTS)

    with retries_recorded() as countdowns:
        assert send_due_notices() == 1
    assert countdowns == [2.0]
    first, second = fake_vk.sent()
    assert first["random_id"] == second["random_id"]  # the retry carries the same random_id
    assert int(first["random_id"]) >= 2**30  # a notice's own range: it never meets a message's id
    assert "PROM-5" in second["message"] and json.loads(second["keyboard"])["buttons"]
    assert fake_vk.deliveries() == 1
    notice = Notice.objects.get()
    assert (notice.state, notice.attempts) == ("sent", 2)

    deliver_notice.delay(notice.pk)  # handed out twice (a redelivered task): nothing more is sent
    assert fake_vk.deliveries() == 1 and len(fake_vk.sent()) == 2


def test_vk_refusal_is_recorded_as_failed(post_event: Callable[..., Any], fake_vk: FakeVk) -> None:
    post_event(fixture("vk", "message_new__text"))
    contact = Identity.objects.get(connector="vk").contact
    do_consent_to_notices(contact_id=contact.pk, connector="vk")
    late_order(contact, "PROM-6")
    fake_vk.reset()
    fake_vk.fail_next("messages.send", PRIVACY)
    send_due_notices()
    notice = Notice.objects.get()
    assert notice.state == "failed" and notice.error.startswith("VK error")


def test_a_notice_whose_task_was_lost_is_sent_by_a_later_run(
    post_update: Callable[..., Any], fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    contact = telegram_shopper(post_update)
    late_order(contact, "PROM-7")
    fake_telegram.reset()
    with monkeypatch.context() as patched:
        patched.setattr(deliver_notice, "delay", lambda notice_id: None)  # the worker died with the task
        assert send_due_notices() == 1
    assert Notice.objects.get().state == "pending" and fake_telegram.calls("sendMessage") == []

    assert send_due_notices() == 0  # a minute later: the task may still be on its way, nothing is sent
    assert fake_telegram.calls("sendMessage") == []
    Notice.objects.update(updated_at=timezone.now() - notices.ORPHANED_AFTER - timedelta(minutes=1))
    send_due_notices()
    assert len(fake_telegram.delivered) == 1 and Notice.objects.get().state == "sent"
    Notice.objects.update(updated_at=timezone.now() - notices.ORPHANED_AFTER - timedelta(minutes=1))
    send_due_notices()
    assert len(fake_telegram.delivered) == 1  # sent stays sent


db = database_sync_to_async


def widget_shopper(shopper_writes: Callable[..., Any], visitor: str) -> Contact:
    received = shopper_writes(visitor, "hi")
    contact = received.conversation.contact
    contact.language = "en"
    contact.save()
    do_consent_to_notices(contact_id=contact.pk, connector="widget")
    return contact


async def test_a_widget_shopper_sees_the_notice_when_they_next_open_the_widget(
    widget_client: Any, shopper_writes: Callable[..., Any]
) -> None:
    contact = await db(widget_shopper)(shopper_writes, "visitor-late")
    await db(late_order)(contact, "PROM-8")
    assert await db(send_due_notices)() == 1
    assert (await db(Notice.objects.get)()).state == "pending"  # nobody had the widget open

    client = await widget_client()
    await client.hello(issue_token("visitor-late"))
    frame = await client.expect("order.notice")
    assert frame["notice"]["order_number"] == "PROM-8"
    assert "My parcel is late against the carrier's promise" in frame["notice"]["text"]
    assert frame["notice"]["help"]["label"] == "Still need help"
    assert "PROM-8" in frame["notice"]["help"]["text"]
    article, tracking = frame["notice"]["links"]
    assert article["label"] == "Your parcel is late" and article["url"].endswith("/help/en/late-parcel/")
    assert tracking["url"] == "https://carrier.example/t/PROM-8"
    assert "http" not in frame["notice"]["text"]  # the widget shows the links as links
    assert (await db(Notice.objects.get)()).state == "sent"

    again = await widget_client()
    await again.hello(issue_token("visitor-late"))
    assert await again.nothing_more()  # told once


async def test_an_open_widget_gets_the_notice_live_and_only_one_of_two_shows_it(
    widget_client: Any, shopper_writes: Callable[..., Any]
) -> None:
    contact = await db(widget_shopper)(shopper_writes, "customer:C-77")  # a signed shopper's visitor id
    await db(late_order)(contact, "PROM-9")
    first, second = await widget_client(), await widget_client()
    await first.hello(issue_token("customer:C-77"))
    await second.hello(issue_token("customer:C-77"))

    assert await db(send_due_notices)() == 1
    frames = []
    for client in (first, second):
        if not await client.communicator.receive_nothing(timeout=1.5):
            frames.append(await client.expect("order.notice"))
    assert [f["notice"]["order_number"] for f in frames] == ["PROM-9"]
    assert (await db(Notice.objects.get)()).state == "sent"


def test_two_late_rules_matching_one_order_tell_it_once_the_likelier(
    post_update: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    contact = telegram_shopper(post_update, language="en")
    order = late_order(contact, "PROM-10")
    Order.objects.filter(pk=order.pk).update(placed_at=timezone.now() - timedelta(days=12))  # 8+ days: late too
    fake_telegram.reset()
    assert send_due_notices() == 1
    assert send_due_notices() == 0
    [sent] = fake_telegram.delivered
    assert "My parcel is late against the carrier's promise" in sent["text"]
    assert list(Notice.objects.values_list("status", flat=True)) == ["shipped"]
