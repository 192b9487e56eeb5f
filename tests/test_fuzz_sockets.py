"""Hypothesis fuzzes both WebSocket protocols: random and malformed frames, wrong types, huge and
binary frames, other people's ids. Never a crashed consumer (every frame is followed by a probe that
must be answered), an error frame for every frame that is wrong, and no row written where it should
not be. ``FUZZ_EXAMPLES`` (default 40 per protocol) runs longer."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat.actions import InboundMessage, do_receive_inbound, do_set_operator_status
from chat.models import Conversation, Message, Rating
from config.asgi import application
from connectors.widget.signing import issue_token

pytestmark = [pytest.mark.django_db(transaction=True)]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize="FUZZ_EXAMPLES" not in os.environ,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
wrong_for_int = (
    st.none().filter(lambda _: False)
    | st.booleans()
    | st.text(max_size=5)
    | st.floats()
    | st.lists(st.integers(), max_size=2)
    | st.integers(min_value=2**63)
    | st.integers(max_value=-1)
)
raw_extremes = st.sampled_from(
    [
        "[" * 3000 + "]" * 3000,
        '{"type":"\\ud800"}',
        '{"type":"message","text":"\\udfff","client_id":"\\ud800"}',
        '{"type":"hello","token":"t","last_id":1e999}',
        '{"type":"resume","last_event_id":1e999}',
        '{"type":"typing","conversation_id":-1e999}',
        "x" * 70_000,
        "null",
    ]
)


@st.composite
def widget_frames(draw: Any, theirs: int) -> tuple[str | bytes, bool]:
    """A frame and whether it must be answered with an error."""
    kind = draw(st.sampled_from(["garbage", "raw", "binary", "wrong", "theirs", "random"]))
    if kind == "garbage":
        return json.dumps(draw(json_values.filter(lambda v: not isinstance(v, dict)))), True
    if kind == "raw":
        return draw(raw_extremes.filter(lambda raw: '"typing"' not in raw and '"resume"' not in raw)), True
    if kind == "binary":
        return draw(st.binary(min_size=1, max_size=64)), True
    if kind == "wrong":
        frame = draw(
            st.sampled_from(
                [
                    {"type": "message", "text": "hi", "client_id": "c", "conversation_id": None},
                    {"type": "message", "text": None, "client_id": "c"},
                    {"type": "hello", "token": issue_token("fuzz-a"), "last_id": None},
                    {"type": "rate", "stars": 5, "conversation_id": None},
                ]
            )
        )
        key = next(k for k, v in frame.items() if v is None)
        frame[key] = draw(wrong_for_int if key != "text" else st.integers() | st.lists(st.text(max_size=3)))
        return json.dumps(frame), True
    if kind == "theirs":
        frame = draw(
            st.sampled_from(
                [
                    {"type": "message", "text": "mine now", "client_id": draw(st.uuids()).hex},
                    {"type": "rate", "stars": 1},
                    {"type": "hello", "token": issue_token("fuzz-a")},
                ]
            )
        )
        return json.dumps({**frame, "conversation_id": theirs}), True
    kind = draw(st.sampled_from(["hello", "open", "message", "typing", "close", "position", "rate", "nope"]))
    fields = draw(
        st.dictionaries(st.sampled_from(["text", "client_id", "queue", "stars", "last_id", "x"]), json_values)
    )
    return json.dumps({**fields, "type": kind}), False


_probes = iter(range(10**15, 10**16))


async def _answers(ws: WebsocketCommunicator, probe: str) -> list[dict[str, Any]]:
    """Send a probe only this call's answer can match and collect the frames before that answer;
    a close instead fails the example. Widget probe: a refused message echoes its ``client_id``;
    workspace probe: typing in a chat that does not exist echoes its ``conversation_id``."""
    marker = next(_probes)
    if probe == "widget":
        await ws.send_json_to({"type": "message", "text": 0, "client_id": f"probe-{marker}"})
    else:
        await ws.send_json_to({"type": "typing", "conversation_id": marker})
    frames: list[dict[str, Any]] = []
    while True:
        output = await ws.receive_output(timeout=10)
        assert output["type"] == "websocket.send", f"the consumer closed: {output}"
        frame = json.loads(output["text"])
        if frame.get("client_id") == f"probe-{marker}" or frame.get("conversation_id") == marker:
            assert frame["type"] == "error"
            return frames
        frames.append(frame)


@pytest.fixture
def someone_elses_chat(queues: Any) -> Conversation:
    received = do_receive_inbound(InboundMessage(connector="widget", sender_id="fuzz-b", text="my address is ..."))
    return received.conversation


def test_fuzzed_widget_frames_never_crash_the_consumer_or_touch_another_visitors_chat(
    someone_elses_chat: Conversation,
) -> None:
    theirs = someone_elses_chat.pk

    @FUZZ
    @given(st.lists(widget_frames(theirs), min_size=1, max_size=4))
    def run(frames: list[tuple[str | bytes, bool]]) -> None:
        async def example() -> None:
            ws = WebsocketCommunicator(application, "/ws/widget/", headers=[(b"origin", b"http://127.0.0.1:8000")])
            connected, _ = await ws.connect(timeout=10)
            assert connected
            await ws.send_json_to({"type": "hello", "token": issue_token("fuzz-a")})
            assert (await ws.receive_json_from(timeout=10))["type"] == "state"
            for frame, must_fail in frames:
                if isinstance(frame, bytes):
                    await ws.send_to(bytes_data=frame)
                else:
                    await ws.send_to(text_data=frame)
                answered = await _answers(ws, "widget")
                if must_fail:
                    assert any(f["type"] == "error" for f in answered), (frame, answered)
            await ws.disconnect()

        asyncio.run(example())

    run()
    assert list(Message.objects.filter(conversation_id=theirs).values_list("text", flat=True)) == ["my address is ..."]
    assert Conversation.objects.get(pk=theirs).state != "closed"
    assert not Rating.objects.filter(conversation_id=theirs).exists()
    # Every other message the fuzzer got stored is the fuzzing visitor's own.
    others = Message.objects.exclude(conversation_id=theirs).values_list("external_id", flat=True)
    assert all((external_id or "").startswith("fuzz-a:") for external_id in others)


@st.composite
def workspace_frames(draw: Any, theirs: int) -> tuple[str | bytes, bool]:
    kind = draw(st.sampled_from(["garbage", "raw", "binary", "wrong", "theirs", "random"]))
    if kind == "garbage":
        return json.dumps(draw(json_values.filter(lambda v: not isinstance(v, dict)))), True
    if kind == "raw":
        return draw(raw_extremes.filter(lambda raw: '"hello"' not in raw)), True
    if kind == "binary":
        return draw(st.binary(min_size=1, max_size=64)), True
    if kind == "wrong":
        key, kind = draw(st.sampled_from([("last_event_id", "resume"), ("conversation_id", "typing")]))
        return json.dumps({"type": kind, key: draw(wrong_for_int)}), True
    if kind == "theirs":
        return json.dumps({"type": "typing", "conversation_id": theirs}), True
    fields = draw(st.dictionaries(st.sampled_from(["last_event_id", "conversation_id", "x"]), json_values))
    return json.dumps({**fields, "type": draw(st.sampled_from(["resume", "typing", "ping", "reply", "nope"]))}), False


def test_fuzzed_workspace_frames_never_crash_the_consumer(make_operator: Any, queues: Any) -> None:
    anna = make_operator("Anna")
    boris = make_operator("Boris")
    do_set_operator_status(operator_id=boris.pk, status="online")
    theirs = do_receive_inbound(InboundMessage(connector="widget", sender_id="fuzz-c", text="hi")).conversation.pk
    client = Client()
    client.force_login(anna.user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    rows_before = (Message.objects.count(), Conversation.objects.count())

    @FUZZ
    @given(st.lists(workspace_frames(theirs), min_size=1, max_size=4))
    def run(frames: list[tuple[str | bytes, bool]]) -> None:
        async def example() -> None:
            headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie)]
            ws = WebsocketCommunicator(application, "/ws/workspace/", headers=headers)
            connected, _ = await ws.connect(timeout=10)
            assert connected
            assert (await ws.receive_json_from(timeout=10))["type"] == "hello"
            for frame, must_fail in frames:
                if isinstance(frame, bytes):
                    await ws.send_to(bytes_data=frame)
                else:
                    await ws.send_to(text_data=frame)
                answered = await _answers(ws, "workspace")
                if must_fail:
                    assert any(f["type"] == "error" for f in answered), (frame, answered)
            await ws.disconnect()

        asyncio.run(example())

    run()
    # The socket only reads: nothing was written, whatever was sent.
    assert (Message.objects.count(), Conversation.objects.count()) == rows_before
