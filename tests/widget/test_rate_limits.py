"""A shopper who writes, opens consultations, posts the offline form or asks for tokens too fast is
told to slow down in their language, and nothing they wrote is stored twice or silently lost."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from chat.models import Conversation, Message
from connectors.widget.signing import issue_token
from tests.widget.conftest import WidgetClient, texts

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


@pytest.fixture
def limits(settings: Any) -> Callable[..., None]:
    def set_limits(**values: str) -> None:
        settings.SWITCHBOARD_RATE_LIMITS = {**settings.SWITCHBOARD_RATE_LIMITS, **values}

    return set_limits


async def from_address(address: str) -> WidgetClient:
    client = WidgetClient()
    client.communicator.scope["client"] = (address, 50_000)
    return await client.connect()


async def write(client: WidgetClient, text: str) -> dict[str, Any]:
    """Send a message frame; the answer to it (its acknowledgement or its error)."""
    await client.send({"type": "message", "text": text, "client_id": f"c-{text}"})
    while True:
        frame = await client.receive()
        if frame["type"] in ("message", "error") and frame.get("client_id") == f"c-{text}":
            return frame


async def test_a_visitor_writing_too_fast_is_told_to_wait_and_the_extra_message_is_not_stored(
    queues: Any, limits: Callable[..., None]
) -> None:
    limits(widget_message_visitor="3/60")
    shopper = await from_address("198.51.100.10")
    await shopper.hello(issue_token("v-fast"), language="en")
    answers = [await write(shopper, f"m{n}") for n in range(4)]
    assert [a["type"] for a in answers] == ["message"] * 3 + ["error"]
    refused = answers[-1]
    assert refused["code"] == "rate_limited"
    assert refused["client_id"] == "c-m3"
    assert 1 <= refused["retry_after"] <= 60
    assert refused["message"].startswith("You are sending too fast. Please wait")
    assert await texts(answers[0]["conversation_id"]) == ["m0", "m1", "m2"]
    await shopper.close()


async def test_the_slow_down_comes_in_russian_for_a_russian_shopper(queues: Any, limits: Callable[..., None]) -> None:
    limits(widget_message_visitor="1/60")
    shopper = await from_address("198.51.100.11")
    await shopper.hello(issue_token("v-ru"), language="ru-RU")
    await write(shopper, "первое")
    refused = await write(shopper, "второе")
    assert refused["message"].startswith("Вы отправляете слишком часто. Подождите")
    await shopper.close()


async def test_many_visitors_from_one_address_share_its_limit(queues: Any, limits: Callable[..., None]) -> None:
    limits(widget_message_ip="4/60")
    answers = []
    for n in range(5):
        shopper = await from_address("203.0.113.50")
        await shopper.hello(issue_token(f"v-bot-{n}"))
        answers.append((await write(shopper, f"spam{n}"))["type"])
        await shopper.close()
    assert answers == ["message"] * 4 + ["error"]
    elsewhere = await from_address("198.51.100.12")
    await elsewhere.hello(issue_token("v-real"))
    assert (await write(elsewhere, "hello"))["type"] == "message"
    await elsewhere.close()


async def test_consultations_opened_too_fast_are_refused(queues: Any, limits: Callable[..., None]) -> None:
    limits(consultation_visitor="2/600")
    shopper = await from_address("198.51.100.13")
    await shopper.hello(issue_token("v-stylist"))
    opened = []
    for _ in range(2):
        await shopper.send({"type": "open", "queue": "stylist"})
        opened.append((await shopper.expect("state"))["conversation_id"])
    await shopper.send({"type": "open", "queue": "stylist"})
    refused = await shopper.expect("error")
    assert (refused["code"], refused["ref"]) == ("rate_limited", "open")
    # Pressing again finds the shopper's one consultation; past the limit the press is refused unread.
    assert opened[0] == opened[1]
    count = await database_sync_to_async(Conversation.objects.filter(queue__slug="stylist").count)()
    assert count == 1
    # The chat in the general queue is still open to them.
    assert (await write(shopper, "just a question"))["type"] == "message"
    await shopper.close()


def post(path: str, body: dict[str, Any], address: str = "198.51.100.20") -> Any:
    return Client(REMOTE_ADDR=address).post(
        f"/connectors/widget/{path}", data=json.dumps(body), content_type="application/json"
    )


def test_offline_posts_past_the_limit_get_429_in_the_shoppers_language(
    queues: Any, limits: Callable[..., None]
) -> None:
    limits(offline_visitor="2/300")
    token = issue_token("v-offline")
    form = {"token": token, "name": "Olga", "email": "olga@example.com", "language": "ru"}
    statuses = [post("offline/", {**form, "text": f"вопрос {n}", "client_id": f"c{n}"}).status_code for n in range(2)]
    assert statuses == [201, 201]
    refused = post("offline/", {**form, "text": "вопрос 3", "client_id": "c3"})
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 300
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused.json()["error"]["message"].startswith("Вы отправляете слишком часто")
    stored = Message.objects.filter(conversation__is_offline=True).order_by("id").values_list("text", flat=True)
    assert list(stored) == ["вопрос 0", "вопрос 1"]


def test_visitor_tokens_are_limited_per_address(db: None, limits: Callable[..., None]) -> None:
    limits(widget_token_ip="3/60")
    statuses = [post("session/", {}, address="203.0.113.60").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert post("session/", {}, address="203.0.113.60").json()["error"]["code"] == "rate_limited"
    assert post("session/", {}, address="198.51.100.30").status_code == 200


def test_a_forwarded_address_counts_only_behind_a_trusted_proxy(
    db: None, limits: Callable[..., None], settings: Any
) -> None:
    limits(widget_token_ip="1/60")
    settings.SWITCHBOARD_TRUSTED_PROXIES = ["127.0.0.1"]

    def via_proxy(client_address: str) -> int:
        return (
            Client(REMOTE_ADDR="127.0.0.1")
            .post(
                "/connectors/widget/session/",
                data="{}",
                content_type="application/json",
                headers={"X-Forwarded-For": f"10.9.9.9, {client_address}"},
            )
            .status_code
        )

    # nginx appends the real peer; what the client wrote before it (10.9.9.9) is not believed.
    assert [via_proxy("203.0.113.70"), via_proxy("203.0.113.71"), via_proxy("203.0.113.70")] == [200, 200, 429]
    # Straight from an untrusted peer, the header changes nothing.
    direct = Client(REMOTE_ADDR="198.51.100.40")
    headers = {"X-Forwarded-For": "203.0.113.99"}
    first = direct.post("/connectors/widget/session/", data="{}", content_type="application/json", headers=headers)
    second = direct.post("/connectors/widget/session/", data="{}", content_type="application/json", headers=headers)
    assert (first.status_code, second.status_code) == (200, 429)
