"""The visitor's context: the widget reports the page, referrer, device and cart; the operator sees it live."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from chat.actions import do_set_operator_status
from chat.models import Conversation, Operator
from chat.visitor_context import PAGES_KEPT, ContextError, clean_report, merged
from connectors.widget.signing import issue_token
from tests.workspace.test_consumer import connect, frames_until, session_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded, pytest.mark.usefixtures("queues")]

db = database_sync_to_async
AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

PAGE = {
    "type": "context",
    "page": {"url": "https://shop.example/dresses/42?colour=red", "title": "Red dress <b>sale</b>"},
    "referrer": "https://www.google.com/",
    "language": "ru-RU",
    "device": {"kind": "phone", "viewport": "390x844", "user_agent": "Mozilla/5.0 (iPhone)"},
}


def report(**changes: Any) -> dict[str, Any]:
    return {key: value for key, value in {**PAGE, **changes}.items() if key != "type"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"page": {"url": "javascript:alert(1)", "title": "x"}}, "page.url"),
        ({"page": {"url": "https://shop.example/", "title": 5}}, "page.title"),
        ({"page": "https://shop.example/"}, "page"),
        ({"referrer": "data:text/html,hi"}, "referrer"),
        ({"device": {"kind": "toaster"}}, "device.kind"),
        ({"cart": {"items": "three dresses"}}, "cart.items"),
        ({"cart": {"items": [{"name": "Dress", "price": "cheap"}]}}, "cart.items[0].price"),
        ({"cart": {"items": [{"name": "Dress\x00"}]}}, "cart.items[0].name"),
        ({"cart": {"items": [{"name": "x"}] * 51}}, "cart.items"),
    ],
)
def test_a_bad_field_is_refused_by_name(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ContextError) as refused:
        clean_report(report(**changes))
    assert refused.value.field == field


def test_pages_are_kept_newest_last_and_a_report_without_a_cart_keeps_the_cart() -> None:
    context = merged({}, clean_report(report(cart={"items": [{"name": "Dress", "quantity": 2, "price": "49.9"}]})), AT)
    assert context["cart"] == {
        "items": [{"name": "Dress", "quantity": 2, "price": 49.9}],
        "total": None,
        "currency": "",
    }
    for n in range(PAGES_KEPT + 5):
        context = merged(
            context, clean_report(report(page={"url": f"https://shop.example/p/{n}", "title": f"P{n}"})), AT
        )
    assert len(context["pages"]) == PAGES_KEPT
    assert context["page"]["url"] == f"https://shop.example/p/{PAGES_KEPT + 4}"
    assert context["pages"][0]["url"] == "https://shop.example/p/5"
    assert context["cart"]["items"][0]["name"] == "Dress"  # the shop set it once; page views keep it
    same = merged(context, clean_report(report(page=context["page"])), AT)
    assert len(same["pages"]) == PAGES_KEPT and same["pages"] == context["pages"]  # a reload is no new page


async def test_the_page_reported_before_the_first_message_is_stored_with_the_conversation(
    widget_client: Any,
) -> None:
    client = await widget_client()
    await client.hello(issue_token("visitor-ctx"))
    await client.send(PAGE)
    await client.send({"type": "message", "text": "Is this dress in size 38?", "client_id": "c-1"})
    acknowledged = await client.expect("message")
    await client.expect("state")  # the new conversation is followed: the report is stored with it now
    conversation = await Conversation.objects.aget(pk=acknowledged["conversation_id"])
    for _ in range(50):
        if conversation.visitor_context:
            break
        await conversation.arefresh_from_db()
    context = conversation.visitor_context
    assert context["page"]["url"] == "https://shop.example/dresses/42?colour=red"
    assert context["page"]["title"] == "Red dress <b>sale</b>"  # stored exactly; the screen escapes it
    assert context["referrer"] == "https://www.google.com/"
    assert context["device"] == {"kind": "phone", "viewport": "390x844", "user_agent": "Mozilla/5.0 (iPhone)"}


async def test_a_bad_report_is_answered_with_an_error_and_the_chat_goes_on(widget_client: Any) -> None:
    client = await widget_client()
    await client.hello(issue_token("visitor-bad"))
    await client.send({"type": "message", "text": "hi", "client_id": "c-1"})
    await client.expect("message")
    await client.expect("state")
    await client.send({**PAGE, "page": {"url": "javascript:alert(document.cookie)"}})
    error = await client.expect("error")
    assert (error["code"], error["ref"]) == ("invalid_input", "context")
    assert "page.url" in error["message"]
    await client.send({"type": "message", "text": "still here", "client_id": "c-2"})
    assert (await client.expect("message"))["message"]["text"] == "still here"


async def test_the_operator_sees_a_page_change_live_and_in_the_conversation(
    widget_client: Any, make_operator: Callable[..., Operator]
) -> None:
    operator = await db(make_operator)("Anna")
    await db(do_set_operator_status)(operator_id=operator.pk, status="online")
    ws, _ = await connect(await db(session_cookie)(operator))
    shopper = await widget_client()
    await shopper.hello(issue_token("visitor-live"))
    await shopper.send({"type": "message", "text": "hello", "client_id": "c-1"})
    conversation_id = (await shopper.expect("message"))["conversation_id"]
    await shopper.expect("state")
    await shopper.send({**PAGE, "page": {"url": "https://shop.example/checkout", "title": "Checkout"}})
    frames = await frames_until(ws, lambda f: f.get("kind") == "conversation.context")
    assert frames[-1]["payload"]["conversation_id"] == conversation_id
    assert frames[-1]["payload"]["visitor_context"]["page"]["title"] == "Checkout"

    def detail() -> dict[str, Any]:
        client = Client()
        client.force_login(operator.user)
        return client.get(f"/api/conversations/{conversation_id}").json()

    assert (await db(detail)())["visitor_context"]["page"]["url"] == "https://shop.example/checkout"
    await ws.disconnect()


async def test_a_flood_of_reports_is_refused(widget_client: Any) -> None:
    client = await widget_client()
    await client.hello(issue_token("visitor-flood"))
    for n in range(61):
        await client.send({**PAGE, "page": {"url": f"https://shop.example/{n}", "title": ""}})
    error = await client.expect("error")
    assert error["code"] == "rate_limited"
