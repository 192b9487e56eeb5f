"""Webhooks from strangers and from a misbehaving platform: refused clearly, or kept and answered so
the platform stops retrying; never a 500 for input, never an update acknowledged and lost."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest

from chat.models import Message
from connectors.models import RawUpdate, RawUpdateState
from tests.connectors.conftest import TG_SECRET, fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

DEEP = "[" * 8000 + "]" * 8000


def telegram_text(update_id: int, message_id: int, text: str) -> dict[str, Any]:
    update = fixture("telegram", "message__text")
    update["update_id"] = update_id
    update["message"]["message_id"] = message_id
    update["message"]["text"] = text
    return update


def vk_text(event_id: str, text: str) -> dict[str, Any]:
    event = fixture("vk", "message_new__text")
    event["event_id"] = event_id
    event["object"]["message"]["text"] = text
    return event


def stored_texts() -> list[str]:
    return list(Message.objects.filter(author_kind="shopper").order_by("id").values_list("text", flat=True))


# --- Telegram ---------------------------------------------------------------------------------------


def test_telegram_deep_json_is_a_quick_400(post_update, fake_telegram, queues):
    started = time.monotonic()
    response = post_update(DEEP)
    assert response.status_code == 400
    assert "deep" in response.json()["error"]
    assert time.monotonic() - started < 2
    assert RawUpdate.objects.count() == 0


def test_telegram_wrong_secret_is_refused_before_the_body_is_read(post_update, fake_telegram, queues):
    assert post_update(DEEP, secret="wrong").status_code == 403
    assert post_update(telegram_text(1, 1, "hi"), secret=TG_SECRET + "x").status_code == 403
    assert RawUpdate.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (json.dumps(telegram_text(5, 5, "cut short"))[:-7], 400),  # truncated in transit
        (b"\xff\xfe not utf-8", 400),
        (json.dumps({"update_id": 2**63, "message": {}}), 400),
        (json.dumps({"update_id": -1, "message": {}}), 400),
    ],
)
def test_telegram_unreadable_bodies_are_4xx_and_store_nothing(post_update, fake_telegram, queues, body, status):
    assert post_update(body).status_code == status
    assert RawUpdate.objects.count() == 0


def test_telegram_form_encoded_body_is_refused(client, fake_telegram, queues):
    response = client.post(
        "/connectors/telegram/webhook/",
        data={"update_id": "1"},
        headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
    )
    assert response.status_code == 400
    assert RawUpdate.objects.count() == 0


def test_telegram_json_under_another_content_type_is_still_kept(client, fake_telegram, queues):
    """A proxy may rewrite the header; the body is what Telegram sent, and losing it is worse."""
    response = client.post(
        "/connectors/telegram/webhook/",
        data=json.dumps(telegram_text(7, 7, "через прокси")),
        content_type="text/plain",
        headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
    )
    assert response.status_code == 200
    assert stored_texts() == ["через прокси"]


@pytest.mark.parametrize(
    ("text", "reason"), [("bad \x00 byte", "NUL"), ("half \ud83d an emoji", "surrogate")], ids=["nul", "surrogate"]
)
def test_telegram_update_that_can_never_be_stored_is_answered_200_and_recorded_failed(
    post_update, fake_telegram, queues, text, reason
):
    body = json.dumps(telegram_text(9, 9, text))  # ensure_ascii: "\u0000" / "\ud83d" escapes, as Telegram writes
    for _ in range(2):  # Telegram's retry finds the record: one row, still 200
        response = post_update(body)
        assert response.status_code == 200
    raw = RawUpdate.objects.get()
    assert raw.update_id == "9"
    assert raw.state == RawUpdateState.FAILED
    assert reason in raw.note
    assert "message.text" in raw.note
    assert raw.payload["message"]["from"]["first_name"] == "Anna"  # the rest is readable in the admin
    assert Message.objects.count() == 0


def test_telegram_replayed_update_is_one_message_and_always_200(post_update, fake_telegram, queues):
    update = telegram_text(20, 20, "только один раз")
    answers = [post_update(update).status_code for _ in range(3)]
    assert answers == [200, 200, 200]
    assert stored_texts() == ["только один раз"]
    assert RawUpdate.objects.count() == 1


def test_telegram_updates_out_of_order_are_all_kept(post_update, fake_telegram, queues):
    """update_ids restart at random: an older id after a newer one is a new update, not a repeat."""
    for update_id, message_id, text in [(31, 3, "third"), (29, 1, "first"), (30, 2, "second"), (1, 4, "after reset")]:
        assert post_update(telegram_text(update_id, message_id, text)).status_code == 200
    assert stored_texts() == ["third", "first", "second", "after reset"]
    assert RawUpdate.objects.filter(state=RawUpdateState.PROCESSED).count() == 4


# --- VK ---------------------------------------------------------------------------------------------


def test_vk_deep_json_without_our_secret_is_refused_unparsed(post_event, fake_vk, queues):
    started = time.monotonic()
    assert post_event('{"type":"message_new","object":' + DEEP + "}").status_code == 403
    assert time.monotonic() - started < 2
    assert RawUpdate.objects.count() == 0


def test_vk_deep_json_with_our_secret_is_a_400(post_event, fake_vk, queues):
    response = post_event('{"secret":"vk-secret","type":"message_new","object":' + DEEP + "}")
    assert response.status_code == 400
    assert RawUpdate.objects.count() == 0


@pytest.mark.parametrize("secret", ["vk-secret-but-longer", "VK-SECRET", "vk-secre\\u0074"])
def test_vk_near_misses_of_the_secret_are_refused(post_event, fake_vk, queues, secret):
    body = json.dumps(vk_text("e-1", "hi")).replace('"vk-secret"', f'"{secret}"')
    assert post_event(body).status_code == 403
    assert RawUpdate.objects.count() == 0


def test_vk_secret_nested_deeper_than_the_top_is_not_enough(post_event, fake_vk, queues):
    event = vk_text("e-2", "hi")
    del event["secret"]
    event["object"]["message"]["secret"] = "vk-secret"
    assert post_event(event).status_code == 403
    assert RawUpdate.objects.count() == 0


def test_vk_truncated_body_is_a_400(post_event, fake_vk, queues):
    event = vk_text("e-3", "cut")
    body = '{"secret": "vk-secret", ' + json.dumps({k: v for k, v in event.items() if k != "secret"})[1:]
    assert post_event(body[:-40]).status_code == 400
    assert RawUpdate.objects.count() == 0


@pytest.mark.parametrize("text", ["bad \x00 byte", "half \udc00 an emoji"], ids=["nul", "surrogate"])
def test_vk_event_that_can_never_be_stored_is_answered_ok_and_recorded_failed(post_event, fake_vk, queues, text):
    for retry in (None, 1):
        response = post_event(vk_text("e-4", text), retry=retry)
        assert (response.status_code, response.content) == (200, b"ok")
    raw = RawUpdate.objects.get()
    assert raw.state == RawUpdateState.FAILED
    assert "object.message.text" in raw.note
    assert "secret" not in raw.payload
    assert Message.objects.count() == 0


def test_vk_nul_in_the_event_id_is_still_recorded(post_event, fake_vk, queues):
    response = post_event(vk_text("e-\x005", "hi"))
    assert response.content == b"ok"
    raw = RawUpdate.objects.get()
    assert raw.update_id == "e-\\u00005"
    assert "event_id contains a NUL" in raw.note


def test_vk_replayed_and_out_of_order_events_are_each_stored_once(post_event, fake_vk, queues):
    later, earlier = vk_text("e-later", "второе"), vk_text("e-earlier", "первое")
    later["object"]["message"]["conversation_message_id"] = 30
    earlier["object"]["message"]["conversation_message_id"] = 29
    for event, retry in [(later, None), (earlier, None), (copy.deepcopy(later), 1), (earlier, 2)]:
        assert post_event(event, retry=retry).content == b"ok"
    assert stored_texts() == ["второе", "первое"]
    assert RawUpdate.objects.count() == 2
