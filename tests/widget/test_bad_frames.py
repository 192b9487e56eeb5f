"""Frames that used to crash the widget consumer (close 1011) get an error frame; the socket lives on."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.db import database_sync_to_async

from chat.models import Conversation, Message
from connectors.widget.signing import issue_token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


async def still_serves(client: Any) -> None:
    """The same socket still answers a valid frame after the refused one."""
    await client.send({"type": "position"})
    assert (await client.expect("queue.position"))["type"] == "queue.position"


async def refused(client: Any, raw: str, code: str = "malformed") -> dict[str, Any]:
    await client.send(raw)
    frame = await client.expect("error")
    assert frame["code"] == code, frame
    await still_serves(client)
    return frame


async def test_deeply_nested_json_is_refused_with_an_error_frame(widget_client: Any, queues: Any) -> None:
    client = await widget_client()
    await client.hello(issue_token("visitor-deep"))
    await refused(client, "[" * 2000 + "]" * 2000)
    await refused(client, '{"type":"message","text":' + "[" * 2000 + "]" * 2000 + "}")


@pytest.mark.parametrize(
    "frame",
    [
        r'{"type":"\ud800"}',
        r'{"type":"message","text":"hi","client_id":"\ud800"}',
        r'{"type":"hello","token":"t","language":"\udfff"}',
    ],
)
async def test_a_lone_surrogate_in_an_identifier_is_malformed(widget_client: Any, queues: Any, frame: str) -> None:
    client = await widget_client()
    await client.hello(issue_token("visitor-surrogate"))
    error = await refused(client, frame)
    assert "client_id" not in error  # never echo what cannot be encoded


async def test_a_lone_surrogate_in_text_is_invalid_input_and_nothing_is_stored(widget_client: Any, queues: Any) -> None:
    client = await widget_client()
    await client.hello(issue_token("visitor-text"))
    error = await refused(client, r'{"type":"message","text":"broken \ud800 text","client_id":"c-1"}', "invalid_input")
    assert error["client_id"] == "c-1"
    assert await database_sync_to_async(Message.objects.count)() == 0


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "message", "text": "hi", "client_id": "c\x00"},
        {"type": "hello", "token": "x", "language": "ru\x00"},
    ],
)
async def test_nul_in_identifiers_is_malformed_and_opens_nothing(
    widget_client: Any, queues: Any, frame: dict[str, Any]
) -> None:
    client = await widget_client()
    await client.hello(issue_token("visitor-nul"))
    if frame["type"] == "hello":
        frame = {**frame, "token": issue_token("visitor-nul"), "queue": "general"}
    await refused(client, json.dumps(frame))
    assert await database_sync_to_async(Conversation.objects.count)() == 0


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ('{"type":"hello","token":"t","last_id":1e999}', "malformed"),
        ('{"type":"hello","token":"t","last_id":"7"}', "malformed"),
        ('{"type":"hello","token":"t","conversation_id":true}', "malformed"),
        ('{"type":"message","text":"hi","client_id":"c","conversation_id":9223372036854775808}', "malformed"),
        ('{"type":"message","text":"hi","client_id":"c","conversation_id":1.5}', "malformed"),
        ('{"type":"message","text":5,"client_id":"c"}', "malformed"),
        ('{"type":"message","text":"hi","client_id":12}', "malformed"),
        ('{"type":"rate","stars":5,"conversation_id":99999999999999999999999}', "malformed"),
        ('{"type":"rate","stars":1e999}', "invalid_input"),
    ],
)
async def test_wrong_types_and_huge_numbers_get_an_error_frame(
    widget_client: Any, queues: Any, frame: str, code: str
) -> None:
    client = await widget_client()
    await client.hello(issue_token("visitor-numbers"))
    await refused(client, frame, code)


async def test_unknown_extra_fields_are_ignored(widget_client: Any, queues: Any) -> None:
    """A newer client may send fields this server does not know: the frame still works."""
    client = await widget_client()
    await client.hello(issue_token("visitor-extra"))
    await client.send({"type": "message", "text": "hi", "client_id": "c-1", "extra": [1, {"a": None}]})
    assert (await client.expect("message"))["message"]["text"] == "hi"


async def test_binary_and_oversized_frames_are_refused(widget_client: Any, queues: Any) -> None:
    client = await widget_client()
    await client.hello(issue_token("visitor-binary"))
    await client.communicator.send_to(bytes_data=b"\x00\xff\xfe")
    assert (await client.expect("error"))["code"] == "malformed"
    await refused(client, json.dumps({"type": "message", "text": "x" * 70_000, "client_id": "c"}), "too_large")


async def test_a_russian_shopper_reads_the_broken_character_refusal_in_russian(widget_client: Any, queues: Any) -> None:
    client = await widget_client()
    await client.hello(issue_token("visitor-ru"), language="ru")
    await client.send(r'{"type":"message","text":"сломанный \ud83d смайлик","client_id":"c-ru"}')
    error = await client.expect("error")
    assert (error["code"], error["client_id"]) == ("invalid_input", "c-ru")
    assert error["message"] == "В сообщении есть испорченный символ; удалите его и отправьте снова."
