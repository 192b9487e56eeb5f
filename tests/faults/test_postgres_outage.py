"""PostgreSQL unreachable for a while (a TCP proxy the test cuts), then back.

Webhooks answer 503 so Telegram and VK send again later, and the retry is stored once; the widget is
told its text was not taken and sends it again after reconnecting; the workspace drops its socket
(it shows "reconnecting") and resumes from its last event id. Figures for docs/reliability.md are
printed (``-s``).
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from typing import Any

import pytest
from django.test import Client

from chat.actions import do_set_operator_status
from chat.consumers import CLOSE_UNAVAILABLE
from connectors.models import RawUpdate
from connectors.widget.signing import issue_token, new_visitor_id
from tests.connectors.conftest import TG_SECRET, VK_GROUP, VK_SECRET, fixture
from tests.faults.clients import OperatorClient, ShopperClient, stored_messages, until
from tests.faults.conftest import log_of
from workspace.tokens import issue_api_token

pytestmark = [pytest.mark.django_db(transaction=True)]

DOWN_SECONDS = 3.0
CONNECTOR_ENV = {
    "TELEGRAM_BOT_TOKEN": "123456:TEST-token",
    "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
    # Nothing listens there: these tests are about storing, not about sending.
    "TELEGRAM_API_URL": "http://127.0.0.1:9",
    "VK_GROUP_ID": VK_GROUP,
    "VK_GROUP_TOKEN": "vk-token",
    "VK_CALLBACK_SECRET": VK_SECRET,
    "VK_API_URL": "http://127.0.0.1:9",
}


def _post(url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **headers}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_webhooks_answer_503_while_postgres_is_down_and_the_platforms_retry_is_stored_once(
    make_operator: Any, postgres_proxy: Any, fault_daphne: Any
) -> None:
    api_token = issue_api_token(make_operator("Anna"))
    server = fault_daphne(proxy=postgres_proxy, **CONNECTOR_ENV)
    telegram = (f"{server.url}/connectors/telegram/webhook/", fixture("telegram", "message__text"))
    vk_event = {**fixture("vk", "message_new__text"), "secret": VK_SECRET}
    vk = (f"{server.url}/connectors/vk/callback/", vk_event)
    headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}

    postgres_proxy.cut()
    try:
        for url, body in (telegram, vk):
            status, answer = _post(url, body, headers)
            assert status == 503, (status, answer, log_of(server))
            assert json.loads(answer)["error"]["code"] == "unavailable"
        # The workspace's API says the same, in the operator's language.
        request = urllib.request.Request(
            f"{server.url}/api/me", headers={"Authorization": f"Bearer {api_token}", "Accept-Language": "ru"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 503 and refused.value.headers["Retry-After"] == "5"
        assert json.loads(refused.value.read())["error"]["message"].startswith("Сервис ненадолго недоступен")
    finally:
        postgres_proxy.restore()
    restored_at = time.monotonic()
    assert RawUpdate.objects.count() == 0

    # The platforms send the same update again (Telegram backs off; VK sends X-Retry-Counter).
    for url, body in (telegram, vk):
        while (retried := _post(url, body, {**headers, "X-Retry-Counter": "1"}))[0] != 200:
            assert time.monotonic() - restored_at < 15, retried
            time.sleep(0.2)
    seconds = time.monotonic() - restored_at
    assert _post(*vk, headers)[1] == b"ok"  # a repeat is absorbed, still ok
    assert RawUpdate.objects.filter(connector="telegram").count() == 1
    assert RawUpdate.objects.filter(connector="vk").count() == 1
    print(f"\npostgres down: 2 webhooks answered 503, stored once each {seconds:.1f} s after it was back")


def test_widget_and_workspace_ride_out_a_postgres_outage_losing_and_doubling_nothing(
    make_operator: Any, postgres_proxy: Any, fault_daphne: Any
) -> None:
    anna = make_operator("Anna")
    do_set_operator_status(operator_id=anna.pk, status="online")
    browser = Client()
    browser.force_login(anna.user)
    session, api_token = browser.cookies["sessionid"].value, issue_api_token(anna)
    token = issue_token(new_visitor_id())
    server = fault_daphne(proxy=postgres_proxy, SWITCHBOARD_PRESENCE_HEARTBEAT_SECONDS="0.5")

    async def scenario() -> dict[str, Any]:
        operator = OperatorClient(server.ws_url, server.url, session, api_token, server.url)
        shopper = ShopperClient(server.ws_url, token, server.url)
        tasks = [asyncio.create_task(operator.run()), asyncio.create_task(shopper.run())]
        await asyncio.wait_for(operator.connected.wait(), 10)
        await shopper.say("s-000")

        async def assigned() -> bool:
            return shopper.conversation_id is not None and "s-000" in operator.seen.texts.values()

        await until(assigned, 15, "the first message reached the operator")
        conversation_id = shopper.conversation_id
        assert conversation_id is not None
        sent: list[str] = ["s-000"]
        replies: list[str] = []

        async def shopper_writes() -> None:
            for n in range(1, 31):
                sent.append(f"s-{n:03}")
                await shopper.say(sent[-1])
                await asyncio.sleep(0.2)

        async def operator_writes() -> None:
            for n in range(20):
                replies.append(f"o-{n:03}")
                await operator.reply(conversation_id, replies[-1])  # pressed again until taken
                await asyncio.sleep(0.25)

        async def outage() -> float:
            await asyncio.sleep(1.5)
            postgres_proxy.cut()
            await asyncio.sleep(DOWN_SECONDS)
            postgres_proxy.restore()
            return time.monotonic()

        back_at, *_ = await asyncio.gather(outage(), shopper_writes(), operator_writes())
        missing: dict[str, Any] = {}

        async def everyone_saw_everything() -> bool:
            stored = {pk: text for pk, _, text in await asyncio.to_thread(stored_messages, conversation_id)}
            missing["shopper"] = sorted(stored[pk] for pk in set(stored) - set(shopper.seen.texts))
            missing["operator"] = sorted(stored[pk] for pk in set(stored) - set(operator.seen.texts))
            missing["outbox"] = sorted(shopper.outbox.values())
            return not any(missing.values())

        await until(everyone_saw_everything, 30, lambda: f"both sides show every stored message: {missing}")
        await asyncio.gather(shopper.stop(), operator.stop())
        await asyncio.wait(tasks, timeout=5)
        return {"shopper": shopper, "operator": operator, "sent": sent, "replies": replies, "back_at": back_at}

    try:
        run = asyncio.run(scenario())
    except AssertionError as failure:
        raise AssertionError(f"{failure}\n--- server log ---\n{log_of(server)}") from failure
    shopper, operator = run["shopper"], run["operator"]
    stored = stored_messages(shopper.conversation_id)
    assert sorted(text for _, kind, text in stored if kind == "shopper") == sorted(run["sent"])
    assert sorted(text for _, kind, text in stored if kind == "operator") == sorted(run["replies"])
    ids = {pk for pk, _, _ in stored}
    assert ids <= set(shopper.seen.texts) and ids <= set(operator.seen.texts)
    # The widget was told its text was not taken; the workspace dropped its socket to show it.
    assert any(e["code"] == "unavailable" for e in shopper.errors)
    assert CLOSE_UNAVAILABLE in shopper.seen.closes and CLOSE_UNAVAILABLE in operator.seen.closes
    after = [min(t for t in c.seen.resumed_at if t >= run["back_at"]) - run["back_at"] for c in (shopper, operator)]
    print(
        f"\npostgres down {DOWN_SECONDS:.0f} s: sent {len(run['sent'])}+{len(run['replies'])}, stored "
        f"{len(stored)}, shown to shopper {len(ids & set(shopper.seen.texts))}, to operator "
        f"{len(ids & set(operator.seen.texts))}, lost 0, doubled 0, resumed {max(after):.1f} s after it was back"
    )
