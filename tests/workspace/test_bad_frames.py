"""Frames that used to crash the workspace consumer (close 1011) get an error frame; the socket lives on."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from chat.models import Operator
from tests.workspace.test_consumer import connect, online_operator, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

__all__ = ["online_operator"]  # the fixture, shared with test_consumer


async def answers_ping(ws: WebsocketCommunicator) -> None:
    await ws.send_json_to({"type": "ping"})
    while (frame := await ws.receive_json_from(timeout=5))["type"] != "pong":
        assert frame["type"] != "error", frame


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("[" * 2000 + "]" * 2000, "invalid_frame"),
        ('{"type":"resume","last_event_id":' + "[" * 2000 + "]" * 2000 + "}", "invalid_frame"),
        (r'{"type":"\ud800"}', "unknown_type"),
        (r'{"type":"typing","conversation_id":"\ud800"}', "invalid_frame"),
        ('{"type":"resume","last_event_id":1e999}', "invalid_frame"),
        ('{"type":"resume","last_event_id":-1e999}', "invalid_frame"),
        ('{"type":"resume","last_event_id":99999999999999999999999999}', "invalid_frame"),
        ('{"type":"resume","last_event_id":[1]}', "invalid_frame"),
        ('{"type":"resume","last_event_id":true}', "invalid_frame"),
        ('{"type":"typing","conversation_id":9223372036854775808}', "invalid_frame"),
        ('{"type":"typing","conversation_id":1.0}', "invalid_frame"),
        ('{"type":"typing","conversation_id":null}', "invalid_frame"),
        (json.dumps({"type": "ping", "padding": "x" * 20_000}), "too_large"),
    ],
)
async def test_malformed_frames_get_an_error_frame_and_the_socket_stays(
    online_operator: Operator, frame: str, code: str
) -> None:
    ws, _ = await connect(await database_sync_to_async(session_cookie)(online_operator))
    await ws.send_to(text_data=frame)
    error = await ws.receive_json_from(timeout=5)
    assert error["type"] == "error"
    assert error["code"] == code
    await answers_ping(ws)
    await ws.disconnect()


async def test_binary_frames_get_an_error_frame(online_operator: Operator) -> None:
    ws, _ = await connect(await database_sync_to_async(session_cookie)(online_operator))
    await ws.send_to(bytes_data=b"\x00\x01binary")
    assert (await ws.receive_json_from(timeout=5))["code"] == "invalid_frame"
    await answers_ping(ws)
    await ws.disconnect()


@pytest.mark.parametrize(
    "query", ["?last_event_id=1e999", "?last_event_id=99999999999999999999999", "?last_event_id=%00"]
)
async def test_a_bad_resume_point_in_the_query_string_is_an_error_frame(online_operator: Operator, query: str) -> None:
    ws, _ = await connect(await database_sync_to_async(session_cookie)(online_operator), query)
    assert (await ws.receive_json_from(timeout=5))["code"] == "invalid_frame"
    await answers_ping(ws)
    await ws.disconnect()
