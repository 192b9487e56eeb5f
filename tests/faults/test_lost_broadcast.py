"""A message stored by a process that died before broadcasting it still reaches open screens.

The daphne kill -9 run (test_daphne_kill.py) once ended with a stored operator reply that a shopper
connected to the surviving process never saw, and a shopper's message its operator never saw: the
process committed them and died before its broadcast left. Here the broadcast is dropped on purpose
(as a killed process drops it) and the sockets, which never reconnect, must still show the message.
"""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async

from chat import events
from chat.actions import InboundMessage, do_operator_reply, do_receive_inbound, do_set_operator_status
from connectors.widget.signing import issue_token
from tests.widget.conftest import widget_client  # noqa: F401 (the fixture)
from tests.workspace.test_consumer import connect, frames_until, is_message, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded, pytest.mark.faults]


@pytest.fixture
def broadcasts_lost(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``lose()`` makes every broadcast from here on vanish, as one from a process killed after commit."""

    def lose() -> None:
        monkeypatch.setattr(events, "_send", lambda batch: None)

    return lose


async def test_widget_and_workspace_show_messages_whose_broadcast_died(
    widget_client,  # noqa: F811
    make_operator,
    broadcasts_lost,
    settings,
):
    settings.SWITCHBOARD_CATCH_UP_SECONDS = 0.5
    operator = await database_sync_to_async(make_operator)("Anna")
    await database_sync_to_async(do_set_operator_status)(operator_id=operator.pk, status="online")
    first = await database_sync_to_async(do_receive_inbound)(
        InboundMessage(connector="widget", sender_id="visitor-lost", text="Where is my order?")
    )
    conversation_id = first.conversation.pk
    shopper = await widget_client()
    state = await shopper.hello(issue_token("visitor-lost"), conversation_id=conversation_id)
    assert [m["text"] for m in state["messages"]] == ["Where is my order?"]
    workspace, _ = await connect(await database_sync_to_async(session_cookie)(operator))

    broadcasts_lost()
    await database_sync_to_async(do_operator_reply)(
        conversation_id=conversation_id, operator_id=operator.pk, text="It left today"
    )
    await database_sync_to_async(do_receive_inbound)(
        InboundMessage(connector="widget", sender_id="visitor-lost", text="Thank you")
    )

    shown = [await shopper.expect("message", wait=5), await shopper.expect("message", wait=5)]
    assert [f["message"]["text"] for f in shown] == ["It left today", "Thank you"]
    frames = await frames_until(workspace, is_message("Thank you"))
    assert [f["payload"]["text"] for f in frames if f.get("kind") == "message.new"].count("Thank you") == 1
    # Once each: the next ticks find nothing new for either socket.
    assert await shopper.communicator.receive_nothing(timeout=1.2)
    assert await workspace.receive_nothing(timeout=1.2)
    await workspace.disconnect()
