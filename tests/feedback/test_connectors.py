"""Rating and consultation on Telegram and VK, against the local fake API servers.

The shopper presses the button the bot really sent: the test reads the keyboard from the fake
server's recorded requests and posts the press back to the webhook, as Telegram and VK would.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from chat.actions import do_close, do_operator_reply
from chat.models import Conversation, Message, Operator, Rating, Reason
from tests.connectors.conftest import fixture
from tests.fakes.telegram import FakeTelegram
from tests.fakes.vk import FakeVk
from tests.feedback.conftest import online

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

TG_USER = 111222333
VK_USER = 1234567
_ids = iter(range(900_000_000, 999_999_999))


def close_answered(connector: str, operator: Operator, reason: Reason) -> Conversation:
    conversation = Conversation.objects.get(connector=connector)
    do_operator_reply(conversation_id=conversation.pk, operator_id=operator.pk, text="Ваш заказ в пути.")
    do_close(conversation_id=conversation.pk, operator_id=operator.pk, reason_id=reason.pk)
    return conversation


# --- Telegram ------------------------------------------------------------------------------------


def telegram_keyboard(fake: FakeTelegram) -> tuple[int, list[dict[str, Any]]]:
    """The last message the bot sent with an inline keyboard: its id and its buttons."""
    for sent in reversed(fake.delivered):
        if "inline_keyboard" in sent.get("reply_markup", {}):
            return sent["message_id"], sent["reply_markup"]["inline_keyboard"][0]
    raise AssertionError(f"No keyboard among {fake.sent_texts()}")


def press_telegram(post_update: Callable[..., Any], message_id: int, data: str, user_id: int = TG_USER) -> None:
    update = copy.deepcopy(fixture("telegram", "callback_query"))
    update["update_id"] = next(_ids)
    update["callback_query"]["id"] = f"cbq-{update['update_id']}"
    update["callback_query"]["from"]["id"] = user_id
    update["callback_query"]["data"] = data
    update["callback_query"]["message"]["message_id"] = message_id
    assert post_update(update).status_code == 200


def telegram_says(post_update: Callable[..., Any], text: str) -> None:
    update = copy.deepcopy(fixture("telegram", "message__text"))
    update["update_id"] = next(_ids)
    update["message"]["message_id"] = next(_ids)
    update["message"]["text"] = text
    assert post_update(update).status_code == 200


def toasts(fake: FakeTelegram) -> list[str]:
    return [r.params.get("text", "") for r in fake.calls("answerCallbackQuery")]


def test_telegram_rating_by_button_then_comment(
    post_update, fake_telegram: FakeTelegram, make_operator, reason: Reason
) -> None:
    operator = online(make_operator("Olga"))
    assert post_update(fixture("telegram", "message__text")).status_code == 200
    conversation = close_answered("telegram", operator, reason)

    message_id, buttons = telegram_keyboard(fake_telegram)
    assert [b["text"] for b in buttons] == ["1 ★", "2 ★", "3 ★", "4 ★", "5 ★"]
    assert "Оцените чат от 1 до 5 звёзд" in fake_telegram.sent_texts()[-1]

    press_telegram(post_update, message_id, buttons[4]["callback_data"])
    rating = Rating.objects.get(conversation=conversation)
    assert (rating.stars, rating.operator_id) == (5, operator.pk)
    assert toasts(fake_telegram) == ["Спасибо за оценку!"]
    assert fake_telegram.calls("editMessageReplyMarkup")  # the stars leave the chat
    assert "напишите комментарий следующим сообщением" in fake_telegram.sent_texts()[-1]

    telegram_says(post_update, "Оператор молодец")
    rating.refresh_from_db()
    assert rating.comment == "Оператор молодец"
    assert "комментарий сохранён" in fake_telegram.sent_texts()[-1]
    assert not Message.objects.filter(text="Оператор молодец").exists()  # a comment, not a new chat

    telegram_says(post_update, "А ещё вопрос про возврат")
    assert Conversation.objects.filter(connector="telegram").count() == 2  # this one is a message


def test_telegram_double_press_and_another_user_are_refused(
    post_update, fake_telegram: FakeTelegram, make_operator, reason: Reason
) -> None:
    operator = online(make_operator("Olga"))
    post_update(fixture("telegram", "message__text"))
    conversation = close_answered("telegram", operator, reason)
    message_id, buttons = telegram_keyboard(fake_telegram)

    press_telegram(post_update, message_id, buttons[0]["callback_data"], user_id=555)  # a forwarded keyboard
    assert toasts(fake_telegram)[-1] == "Оценить чат может только тот, кто в нём писал."
    assert not Rating.objects.exists()

    press_telegram(post_update, message_id, buttons[3]["callback_data"])
    press_telegram(post_update, message_id, buttons[0]["callback_data"])
    assert toasts(fake_telegram)[-1] == "Спасибо, этот чат уже оценён."
    assert Rating.objects.get(conversation=conversation).stars == 4
    assert len(fake_telegram.calls("answerCallbackQuery")) == 3  # every press is answered


def test_telegram_stylist_command_opens_a_consultation_with_a_working_link(
    post_update, fake_telegram: FakeTelegram, make_operator, client: Client, settings
) -> None:
    stylist = online(make_operator("Sofia", skills=["stylist"]))
    update = fixture("telegram", "message__stylist")
    assert update["message"]["text"].startswith("/stylist")
    assert post_update(update).status_code == 200

    conversation = Conversation.objects.select_related("queue").get(connector="telegram")
    assert (conversation.queue.slug, conversation.operator_id) == ("stylist", stylist.pk)
    reply = fake_telegram.sent_texts()[-1]
    assert "анкету" in reply or "questionnaire" in reply
    link = next(word for word in reply.split() if word.startswith(settings.SITE_URL))
    assert client.get(link.removeprefix(settings.SITE_URL)).status_code == 200


def test_telegram_start_offers_the_consultation_button(post_update, fake_telegram: FakeTelegram, queues) -> None:
    assert post_update(fixture("telegram", "message__start")).status_code == 200
    _, buttons = telegram_keyboard(fake_telegram)
    assert buttons[0]["callback_data"] == "stylist:start"
    update = copy.deepcopy(fixture("telegram", "callback_query"))
    update["update_id"] = next(_ids)
    update["callback_query"]["data"] = buttons[0]["callback_data"]
    post_update(update)
    assert Conversation.objects.get(connector="telegram").queue.slug == "stylist"
    assert "/connectors/questionnaire/" in fake_telegram.sent_texts()[-1]


# --- VK ------------------------------------------------------------------------------------------


def vk_keyboard(fake: FakeVk) -> list[dict[str, Any]]:
    for params in reversed(fake.sent()):
        if params.get("keyboard"):
            keyboard = json.loads(params["keyboard"])
            return keyboard["buttons"][0]
    raise AssertionError("No keyboard sent")


def press_vk(post_event: Callable[..., Any], button: dict[str, Any], user_id: int = VK_USER) -> None:
    event = copy.deepcopy(fixture("vk", "message_event"))
    event["event_id"] = f"ev-{next(_ids)}"
    event["object"]["user_id"] = user_id
    event["object"]["event_id"] = f"cb-{next(_ids)}"
    event["object"]["payload"] = json.loads(button["action"]["payload"])
    assert post_event(event).content == b"ok"


def vk_says(post_event: Callable[..., Any], text: str) -> None:
    event = copy.deepcopy(fixture("vk", "message_new__text"))
    event["event_id"] = f"ev-{next(_ids)}"
    event["object"]["message"]["conversation_message_id"] = next(_ids)
    event["object"]["message"]["text"] = text
    assert post_event(event).content == b"ok"


def snackbars(fake: FakeVk) -> list[str]:
    answers = fake.calls("messages.sendMessageEventAnswer")
    return [json.loads(r.params["event_data"])["text"] for r in answers if r.params.get("event_data")]


def test_vk_rating_by_callback_button_then_comment_and_refusals(
    post_event, fake_vk: FakeVk, make_operator, reason: Reason
) -> None:
    operator = online(make_operator("Olga"))
    assert post_event(fixture("vk", "message_new__text")).content == b"ok"
    conversation = close_answered("vk", operator, reason)

    buttons = vk_keyboard(fake_vk)
    assert [b["action"]["type"] for b in buttons] == ["callback"] * 5
    assert [b["action"]["label"] for b in buttons] == ["1 ★", "2 ★", "3 ★", "4 ★", "5 ★"]

    press_vk(post_event, buttons[1], user_id=7654321)
    assert snackbars(fake_vk)[-1] == "Оценить чат может только тот, кто в нём писал."
    press_vk(post_event, buttons[1])
    rating = Rating.objects.get(conversation=conversation)
    assert (rating.stars, rating.flagged, rating.operator_id) == (2, True, operator.pk)
    assert snackbars(fake_vk)[-1] == "Спасибо за оценку!"
    press_vk(post_event, buttons[4])
    assert snackbars(fake_vk)[-1] == "Спасибо, этот чат уже оценён."
    assert Rating.objects.get().stars == 2

    vk_says(post_event, "Долго ждала ответа")
    rating.refresh_from_db()
    assert rating.comment == "Долго ждала ответа"
    assert "комментарий сохранён" in fake_vk.sent()[-1]["message"]


def test_vk_keyboard_button_opens_a_consultation(post_event, fake_vk: FakeVk, make_operator) -> None:
    stylist = online(make_operator("Sofia", skills=["stylist"]))
    start = fixture("vk", "message_new__keyboard_payload")
    start["object"]["message"]["payload"] = json.dumps({"command": "start"})
    assert post_event(start).content == b"ok"
    [button] = vk_keyboard(fake_vk)
    assert button["action"]["type"] == "text"

    press = copy.deepcopy(fixture("vk", "message_new__keyboard_payload"))
    press["event_id"] = f"ev-{next(_ids)}"
    press["object"]["message"]["conversation_message_id"] = next(_ids)
    press["object"]["message"]["text"] = button["action"]["label"]
    press["object"]["message"]["payload"] = button["action"]["payload"]
    assert post_event(press).content == b"ok"
    conversation = Conversation.objects.select_related("queue").get(connector="vk")
    assert (conversation.queue.slug, conversation.operator_id) == ("stylist", stylist.pk)
    assert "/connectors/questionnaire/" in fake_vk.sent()[-1]["message"]


def test_telegram_menu_lists_stylist_in_both_languages(fake_telegram: FakeTelegram) -> None:
    from django.core.management import call_command

    call_command("telegram_menu")
    sets = fake_telegram.calls("setMyCommands")
    menus = {r.params.get("language_code", ""): json.loads(r.params["commands"]) for r in sets}
    assert {"command": "stylist", "description": "Stylist consultation"} in menus[""]
    assert {"command": "stylist", "description": "Консультация стилиста"} in menus["ru"]
    [button] = fake_telegram.calls("setChatMenuButton")
    assert json.loads(button.params["menu_button"]) == {"type": "commands"}
