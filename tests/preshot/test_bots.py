"""/start on Telegram and VK: the shopper's order stage and its questions as buttons, one tap for
the answer, "Still need help" opens a chat about that order (real clients against the fake APIs)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from chat.models import Contact, Conversation, Identity, Message
from orders.models import ConversationOrder, Order
from preshot.models import EventKind, SuggestionEvent
from tests.connectors.conftest import (
    fake_telegram,
    fake_vk,
    fixture,
    post_event,
    post_update,
    telegram_server,
    vk_server,
)
from tests.fakes.telegram import FakeTelegram
from tests.fakes.vk import FakeVk

__all__ = ["fake_telegram", "fake_vk", "post_event", "post_update", "telegram_server", "vk_server"]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.embedded,
    pytest.mark.usefixtures("articles", "queues"),
]


def shipped_order_of(contact: Contact, number: str = "A-1") -> Order:
    at = timezone.now() - timedelta(days=2)
    return Order.objects.create(
        number=number, status="shipped", placed_at=at, shipped_at=at, status_changed_at=at, contact=contact,
        tracking_url=f"https://carrier.example/t/{number}",
    )  # fmt: skip


def events() -> list[tuple[str, str]]:
    return list(SuggestionEvent.objects.order_by("id").values_list("kind", "article_key"))


def press_telegram(post_update: Callable[..., Any], data: str, n: int) -> Any:
    update = copy.deepcopy(fixture("telegram", "callback_query"))
    update["update_id"] += n
    update["callback_query"]["id"] = f"press-{n}"
    update["callback_query"]["data"] = data
    return post_update(update)


def test_telegram_start_shows_the_order_and_its_questions_then_answers_and_opens_a_chat(
    post_update: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    post_update(fixture("telegram", "message__text"))  # Anna wrote once: we know her contact
    anna = Identity.objects.get(connector="telegram", external_id="111222333").contact
    order = shipped_order_of(anna)
    fake_telegram.reset()

    start = copy.deepcopy(fixture("telegram", "message__start"))
    assert post_update(start).status_code == 200
    [sent] = fake_telegram.calls("sendMessage")
    assert "A-1" in sent.params["text"] and sent.params["text"].startswith("Ваш заказ")
    rows = json.loads(sent.params["reply_markup"])["inline_keyboard"]
    assert [row[0]["text"] for row in rows] == [
        "Где моя посылка?",
        "Когда доставят?",
        "Нужна помощь",
        "Сообщите, если заказ задержится",
    ]
    assert events() == [("shown", "track-order"), ("shown", "delivery-times")]

    # One tap: the answer, in Russian, with the carrier's link and "still need help" under it.
    assert press_telegram(post_update, rows[0][0]["callback_data"], 1).status_code == 200
    answer = fake_telegram.calls("sendMessage")[-1]
    assert answer.params["text"].startswith("Как отследить заказ")
    assert "https://carrier.example/t/A-1" in answer.params["text"]
    [toast] = fake_telegram.calls("answerCallbackQuery")
    assert toast.params["text"] == "Как отследить заказ"
    help_button = json.loads(answer.params["reply_markup"])["inline_keyboard"][0][0]
    assert help_button["text"] == "Нужна помощь"
    assert events()[-1] == ("opened", "track-order")

    # Still need help: the chat carries the question and is about the order.
    press_telegram(post_update, help_button["callback_data"], 2)
    conversation = Conversation.objects.get(contact=anna)
    assert ConversationOrder.objects.get(conversation=conversation).order == order
    last = Message.objects.filter(conversation=conversation).order_by("-id").first()
    assert last is not None and "A-1" in last.text and "Где моя посылка?" in last.text
    assert events()[-1] == (EventKind.STILL_NEED_HELP, "track-order")


def test_telegram_start_without_an_order_greets_as_before(
    post_update: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    post_update(fixture("telegram", "message__start"))
    [sent] = fake_telegram.calls("sendMessage")
    assert sent.params["text"].startswith("Здравствуйте")
    assert events() == []


def test_a_forged_button_for_someone_elses_order_shows_nothing(
    post_update: Callable[..., Any], fake_telegram: FakeTelegram
) -> None:
    post_update(fixture("telegram", "message__text"))
    stranger = Contact.objects.create(name="Someone else")
    theirs = shipped_order_of(stranger, "SECRET-9")
    fake_telegram.reset()
    press_telegram(post_update, f"ps:a:1:{theirs.pk}", 3)
    press_telegram(post_update, f"ps:h:0:{theirs.pk}", 4)
    assert not any("SECRET-9" in text for text in fake_telegram.sent_texts())
    assert not ConversationOrder.objects.exists() and events() == []


def test_vk_start_button_shows_the_questions_as_callback_buttons_and_a_press_answers(
    post_event: Callable[..., Any], fake_vk: FakeVk
) -> None:
    post_event(fixture("vk", "message_new__text"))
    olga = Identity.objects.get(connector="vk", external_id="1234567").contact
    shipped_order_of(olga, "V-1")
    fake_vk.reset()

    assert post_event(fixture("vk", "message_new__keyboard_payload")).content == b"ok"
    [sent] = fake_vk.sent()
    assert "V-1" in sent["message"]
    keyboard = json.loads(sent["keyboard"])
    assert keyboard["inline"] is True
    labels = [row[0]["action"]["label"] for row in keyboard["buttons"]]
    assert labels == ["Где моя посылка?", "Когда доставят?", "Нужна помощь", "Сообщите, если заказ задержится"]
    assert all(len(label) <= 40 for label in labels)

    event = copy.deepcopy(fixture("vk", "message_event"))
    event["object"]["payload"] = json.loads(keyboard["buttons"][0][0]["action"]["payload"])
    assert post_event(event).content == b"ok"
    answer = fake_vk.sent()[-1]
    assert answer["message"].startswith("Как отследить заказ") and "https://carrier.example/t/V-1" in answer["message"]
    assert events()[-1] == ("opened", "track-order")
