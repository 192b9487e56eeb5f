"""Redis restarted mid-conversation: nothing stored is left unseen, on either side, and nothing doubles.

Redis forgets every subscription when it restarts; what is published meanwhile reaches nobody. The
server notices its renewed subscription (chat.layers) and closes every socket with CLOSE_RESYNC, and
the clients resume from the database. Figures for docs/reliability.md are printed (``-s``).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from django.test import Client

from chat.actions import do_set_operator_status
from chat.consumers import CLOSE_RESYNC
from connectors.widget.signing import issue_token, new_visitor_id
from tests.faults.clients import OperatorClient, ShopperClient, stored_messages, until
from tests.faults.conftest import log_of
from workspace.tokens import issue_api_token

pytestmark = [pytest.mark.django_db(transaction=True)]

SHOPPER_MESSAGES = 60
OPERATOR_REPLIES = 40
REDIS_DOWN_SECONDS = 3.0


def test_a_redis_restart_mid_conversation_loses_and_doubles_nothing(
    make_operator: Any, private_redis: Any, fault_daphne: Any
) -> None:
    anna = make_operator("Anna")
    do_set_operator_status(operator_id=anna.pk, status="online")
    browser = Client()
    browser.force_login(anna.user)
    session, api_token = browser.cookies["sessionid"].value, issue_api_token(anna)
    token = issue_token(new_visitor_id())
    server = fault_daphne(redis=private_redis)
    origin = server.url

    async def scenario() -> dict[str, Any]:
        operator = OperatorClient(server.ws_url, server.url, session, api_token, origin)
        shopper = ShopperClient(server.ws_url, token, origin)
        tasks = [asyncio.create_task(operator.run()), asyncio.create_task(shopper.run())]
        await asyncio.wait_for(operator.connected.wait(), 10)
        await shopper.say("s-000")

        async def assigned() -> bool:
            return shopper.conversation_id is not None and any(t == "s-000" for t in operator.seen.texts.values())

        await until(assigned, 15, "the first message reached the operator")
        conversation_id = shopper.conversation_id
        assert conversation_id is not None

        async def shopper_writes() -> None:
            for n in range(1, SHOPPER_MESSAGES):
                await shopper.say(f"s-{n:03}")
                await asyncio.sleep(0.1)

        async def operator_writes() -> None:
            for n in range(OPERATOR_REPLIES):
                await operator.reply(conversation_id, f"o-{n:03}")
                await asyncio.sleep(0.15)

        async def outage() -> float:
            await asyncio.sleep(1.5)
            await asyncio.to_thread(private_redis.restart, REDIS_DOWN_SECONDS)
            return time.monotonic()

        back_at, *_ = await asyncio.gather(outage(), shopper_writes(), operator_writes())

        missing: dict[str, Any] = {}

        async def everyone_saw_everything() -> bool:
            stored = {pk: text for pk, _, text in await asyncio.to_thread(stored_messages, conversation_id)}
            missing["shopper"] = sorted(stored[pk] for pk in set(stored) - set(shopper.seen.texts))
            missing["operator"] = sorted(stored[pk] for pk in set(stored) - set(operator.seen.texts))
            missing["outbox"] = sorted(shopper.outbox.values())
            return not any(missing.values())

        await until(everyone_saw_everything, 30, lambda: f"both sides show every stored message: missing {missing}")
        resumed = [min((t for t in c.seen.resumed_at if t >= back_at), default=None) for c in (shopper, operator)]
        await asyncio.gather(shopper.stop(), operator.stop())
        await asyncio.wait(tasks, timeout=5)
        return {"shopper": shopper, "operator": operator, "back_at": back_at, "resumed": resumed}

    try:
        run = asyncio.run(scenario())
    except AssertionError as failure:
        raise AssertionError(f"{failure}\n--- server log ---\n{log_of(server)}") from failure
    shopper, operator = run["shopper"], run["operator"]
    stored = stored_messages(shopper.conversation_id)
    shopper_texts = [text for _, kind, text in stored if kind == "shopper"]
    operator_texts = [text for _, kind, text in stored if kind == "operator"]
    sent = [f"s-{n:03}" for n in range(SHOPPER_MESSAGES)]
    replies = [f"o-{n:03}" for n in range(OPERATOR_REPLIES)]

    assert sorted(shopper_texts) == sent  # none lost, none stored twice
    assert sorted(operator_texts) == replies
    ids = {pk for pk, _, _ in stored}
    assert ids <= set(shopper.seen.texts) and ids <= set(operator.seen.texts)
    # The server told both clients to resync once Redis was back (not a timeout, not a crash).
    assert CLOSE_RESYNC in shopper.seen.closes and CLOSE_RESYNC in operator.seen.closes
    assert all(at is not None for at in run["resumed"])
    seconds = max(at - run["back_at"] for at in run["resumed"])
    print(
        f"\nredis restart ({REDIS_DOWN_SECONDS:.0f} s down): sent {len(sent)}+{len(replies)}, "
        f"stored {len(shopper_texts)}+{len(operator_texts)}, shown to shopper {len(ids & set(shopper.seen.texts))}, "
        f"to operator {len(ids & set(operator.seen.texts))}, lost 0, doubled 0, "
        f"resumed {seconds:.1f} s after Redis was back"
    )
