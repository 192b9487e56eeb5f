"""Proactive notices: a shopper who pressed "Tell me if an order is late" is told once per order and
rule, on their channel, with the answer and "Still need help"; nobody else is told anything."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from chat.models import Contact, Identity
from orders.models import Order
from preshot.models import Notice, NoticeConsent
from preshot.notices import send_due_notices
from tests.connectors.conftest import fake_telegram, fixture, post_update, telegram_server
from tests.fakes.telegram import FakeTelegram

__all__ = ["fake_telegram", "post_update", "telegram_server"]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.embedded,
    pytest.mark.usefixtures("articles", "queues"),
]


def order_of(contact: Contact, number: str, days: int, status: str = "shipped") -> Order:
    at = timezone.now() - timedelta(days=days, hours=1)
    return Order.objects.create(
        number=number, status=status, placed_at=at, shipped_at=at, status_changed_at=at, contact=contact,
        tracking_url=f"https://carrier.example/t/{number}",
    )  # fmt: skip


def anna(post_update: Callable[..., Any]) -> Contact:
    post_update(fixture("telegram", "message__text"))
    contact = Identity.objects.get(connector="telegram", external_id="111222333").contact
    contact.language = "ru"
    contact.save()
    return contact


def consent_by_button(post_update: Callable[..., Any], fake_telegram: FakeTelegram) -> None:
    post_update(copy.deepcopy(fixture("telegram", "message__start")))
    rows = json.loads(fake_telegram.calls("sendMessage")[-1].params["reply_markup"])["inline_keyboard"]
    update = copy.deepcopy(fixture("telegram", "callback_query"))
    update["update_id"] += 50
    update["callback_query"]["data"] = rows[-1][0]["callback_data"]
    post_update(update)
    assert fake_telegram.calls("answerCallbackQuery")[-1].params["text"] == "Мы напишем здесь, если заказ задержится."


def test_a_consenting_shopper_is_told_once_per_order_and_rule(
    post_update: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    contact = anna(post_update)
    late = order_of(contact, "LATE-1", 9)
    order_of(contact, "FINE-1", 2)  # on its way, not late: no notice
    consent_by_button(post_update, fake_telegram)
    assert NoticeConsent.objects.filter(contact=contact, connector="telegram").exists()
    fake_telegram.reset()

    assert send_due_notices() == 1
    assert send_due_notices() == 0  # the next run: already told
    [notice] = fake_telegram.calls("sendMessage")
    assert "LATE-1" in notice.params["text"] and "Посылка задерживается" in notice.params["text"]
    assert "https://carrier.example/t/LATE-1" in notice.params["text"]
    [[help_button], [stop_button]] = json.loads(notice.params["reply_markup"])["inline_keyboard"]
    assert (help_button["text"], stop_button["text"]) == ("Нужна помощь", "Больше не сообщать")
    assert list(Notice.objects.values_list("order__number", flat=True)) == ["LATE-1"]
    assert late.pk == Notice.objects.get().order_id


def test_the_stop_button_under_a_notice_ends_the_notices(
    post_update: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    contact = anna(post_update)
    order_of(contact, "LATE-3", 9)
    consent_by_button(post_update, fake_telegram)
    assert send_due_notices() == 1
    [[_help], [stop]] = json.loads(fake_telegram.calls("sendMessage")[-1].params["reply_markup"])["inline_keyboard"]
    press = copy.deepcopy(fixture("telegram", "callback_query"))
    press["update_id"] += 80
    press["callback_query"]["data"] = stop["callback_data"]
    post_update(press)
    toast = fake_telegram.calls("answerCallbackQuery")[-1].params["text"]
    assert toast == "Больше не будем сообщать здесь о ваших заказах."
    assert not NoticeConsent.objects.filter(contact=contact).exists()
    order_of(contact, "LATE-4", 10)
    fake_telegram.reset()
    assert send_due_notices() == 0 and fake_telegram.calls("sendMessage") == []


def test_no_consent_no_notice(post_update: Callable[..., Any], fake_telegram: FakeTelegram) -> None:
    contact = anna(post_update)
    order_of(contact, "LATE-2", 12)
    fake_telegram.reset()
    assert send_due_notices() == 0
    assert fake_telegram.calls("sendMessage") == [] and not Notice.objects.exists()


def test_the_notices_run_from_the_beat_schedule(settings: Any) -> None:
    from chat.periodic import run_locked

    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].startswith("preshot.")]
    assert run_locked(entry["task"]) == 0  # nobody consented: nothing to tell
