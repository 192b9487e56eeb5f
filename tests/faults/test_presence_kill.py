"""kill -9 of the daphne holding an operator's only workspace tab: offline after the expiry, no new chats.

The killed process never runs ``disconnect()``; only the silence of its heartbeat tells. Figures for
docs/reliability.md are printed (``-s``).
"""

from __future__ import annotations

import asyncio
import signal
import time
from typing import Any

import pytest
import websockets
from django.db import connections
from django.test import Client

from chat.actions import InboundMessage, do_receive_inbound, do_set_operator_status, do_sweep_disconnected_operators
from chat.models import Conversation, Operator, OperatorConnection
from tests.browser.conftest import wait_for

pytestmark = [pytest.mark.django_db(transaction=True)]

HEARTBEAT, EXPIRY, GRACE = 0.5, 3.0, 3


def test_an_operator_whose_server_was_killed_goes_offline_and_gets_no_new_chat(
    make_operator: Any, fault_daphne: Any, settings: Any
) -> None:
    settings.SWITCHBOARD_PRESENCE_EXPIRY_SECONDS = EXPIRY
    settings.SWITCHBOARD_OFFLINE_GRACE_SECONDS = GRACE
    anna = make_operator("Anna")
    do_set_operator_status(operator_id=anna.pk, status="online")
    browser = Client()
    browser.force_login(anna.user)
    server = fault_daphne(
        SWITCHBOARD_PRESENCE_HEARTBEAT_SECONDS=str(HEARTBEAT),
        SWITCHBOARD_PRESENCE_EXPIRY_SECONDS=str(EXPIRY),
        SWITCHBOARD_OFFLINE_GRACE_SECONDS=str(GRACE),
    )

    async def hold_a_tab_open_while(work: Any) -> Any:
        async with websockets.connect(
            f"{server.ws_url}/ws/workspace/",
            origin=server.url,
            additional_headers={"Cookie": f"sessionid={browser.cookies['sessionid'].value}"},
        ) as ws:
            await ws.recv()  # hello: the connection row exists
            return await asyncio.to_thread(in_own_connection, work)

    def in_own_connection(work: Any) -> Any:
        try:
            return work()
        finally:
            connections.close_all()

    def kill_while_connected() -> float:
        held = do_receive_inbound(InboundMessage(connector="widget", sender_id="v-1", text="hello")).conversation
        assert Conversation.objects.get(pk=held.pk).operator_id == anna.pk
        # A live tab outlasts the expiry: its heartbeat keeps it.
        time.sleep(EXPIRY + 1)
        assert do_sweep_disconnected_operators() == []
        assert OperatorConnection.objects.filter(operator=anna).count() == 1
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        return time.monotonic()

    killed_at = asyncio.run(hold_a_tab_open_while(kill_while_connected))
    wait_for(lambda: do_sweep_disconnected_operators() == [anna.pk] or None, timeout=20, interval=0.5)
    seconds = time.monotonic() - killed_at
    anna.refresh_from_db()
    assert anna.status == "offline" and anna.active_count == 0
    assert not OperatorConnection.objects.filter(operator=anna).exists()
    assert Conversation.objects.get(contact__identities__external_id="v-1").state == "queued"
    newcomer = do_receive_inbound(InboundMessage(connector="widget", sender_id="v-2", text="anyone?")).conversation
    assert Conversation.objects.get(pk=newcomer.pk).operator_id is None
    assert Operator.objects.get(pk=anna.pk).status == "offline"
    print(f"\nkill -9 with one open tab: offline {seconds:.1f} s after the kill (expiry {EXPIRY} s, grace {GRACE} s)")
