"""The authorization matrix, generated from the URL conf and the WebSocket routes.

Every HTTP route (``get_resolver`` walked to the leaves; the API's operations from its OpenAPI
schema) and every WebSocket route must match a rule in ``HTTP_RULES`` / ``WS_RULES``: a new route
nobody classified fails ``test_every_route_is_classified``. Each rule's checks are cells: an actor
(anonymous, an operator who does not hold the chat, a visitor who does not own it) against a
resource, asserting the refusal (or, where the product means it, the read) and that nothing
leaked or changed. The number of cells checked is printed and kept in docs/security.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from chat.actions import (
    InboundAttachment,
    InboundMessage,
    do_add_contact_note,
    do_close,
    do_merge_contacts,
    do_receive_inbound,
    do_set_contact_details,
    do_set_operator_status,
    do_start_consultation,
)
from chat.models import (
    Attachment,
    ContactMerge,
    ContactNote,
    Conversation,
    ConversationState,
    Message,
    Operator,
)
from config.asgi import application
from config.routing import websocket_urlpatterns
from connectors.widget.signing import issue_token
from orders.actions import do_upsert_batch
from orders.models import Order
from orders.schemas import BatchIn
from workspace.api import api

pytestmark = [pytest.mark.django_db(transaction=True)]

SECRET = "canary-7f3a: card 4242 4242"
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63fccf"
    "c0500f000485018084a98c210000000049454e44ae426082"
)
ORIGIN = (b"origin", b"http://127.0.0.1:8000")


def http_routes() -> list[str]:
    """Every leaf route of the URL conf as a pattern string, e.g. ``api/conversations/<int:conversation_id>``."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    return sorted(set(walk(get_resolver().url_patterns, "")))


def api_operations() -> list[tuple[str, str]]:
    """(method, path) of every API operation, from the schema the API serves."""
    paths = api.get_openapi_schema()["paths"]
    return sorted((method.upper(), path) for path, ops in paths.items() for method in ops)


def ws_routes() -> list[str]:
    return sorted(str(pattern.pattern) for pattern in websocket_urlpatterns)


# --- the world the cells run against ---------------------------------------------------------------


@dataclass
class World:
    anna: Operator  # an operator holding none of the chats below
    boris: Operator  # holds ``chat``
    manager: Operator
    chat: Conversation  # Boris' active chat with visitor v-b, holding SECRET and an attachment
    message: Message
    attachment: Attachment
    queued: Conversation  # a waiting consultation of another customer
    closed: Conversation  # Boris' closed chat with a third customer
    note: ContactNote  # Boris' note on the customer of ``chat``
    merge: ContactMerge  # Boris merged a fourth contact into the customer of ``chat``

    def client(self, operator: Operator | None) -> Client:
        client = Client(enforce_csrf_checks=False)
        if operator is not None:
            client.force_login(operator.user)
        return client

    def rows(self) -> tuple[int, int, str | None, int | None]:
        """What a refused write must leave as it was."""
        chat = Conversation.objects.get(pk=self.chat.pk)
        return Message.objects.count(), Conversation.objects.count(), chat.state, chat.operator_id


@pytest.fixture
def world(make_operator: Callable[..., Operator], reason: Any, queues: Any) -> World:
    boris = make_operator("Boris")
    do_set_operator_status(operator_id=boris.pk, status="online")
    received = do_receive_inbound(
        InboundMessage(
            connector="widget",
            sender_id="v-b",
            text=SECRET,
            external_id="v-b:1",
            attachments=(InboundAttachment(name="scan.png", content=PNG, content_type="image/png"),),
        )
    )
    closed_chat = do_receive_inbound(InboundMessage(connector="widget", sender_id="v-c", text=SECRET)).conversation
    do_close(conversation_id=closed_chat.pk, operator_id=boris.pk, reason_id=reason.pk)
    anna = make_operator("Anna")
    queued = do_start_consultation(connector="widget", sender_id="v-q").conversation
    chat = Conversation.objects.get(pk=received.conversation.pk)
    assert (chat.state, chat.operator_id) == (ConversationState.ACTIVE, boris.pk)
    # An order of Boris' customer carries the secret too: only who may read the chat sees it.
    do_set_contact_details(connector="widget", sender_id="v-b", customer_id="C-secret", verified=True)
    do_upsert_batch(
        BatchIn.model_validate(
            {
                "customers": [{"id": "C-secret"}],
                "orders": [
                    {"number": "SECRET-1", "status": "paid", "customer_id": "C-secret", "delivery_address": SECRET}
                ],
            }
        )
    )
    assert Order.objects.get(number="SECRET-1").contact_id == chat.contact_id
    assert Conversation.objects.get(pk=queued.pk).state == ConversationState.QUEUED
    note = do_add_contact_note(contact_id=chat.contact_id, operator_id=boris.pk, text=SECRET)
    fourth = do_receive_inbound(InboundMessage(connector="widget", sender_id="v-4", text=SECRET)).conversation
    merge = do_merge_contacts(source_id=fourth.contact_id, target_id=chat.contact_id, operator_id=boris.pk)
    return World(
        anna=anna,
        boris=boris,
        manager=make_operator("Maria", is_manager=True),
        chat=chat,
        message=received.message,
        attachment=Attachment.objects.get(message=received.message),
        queued=queued,
        closed=closed_chat,
        note=note,
        merge=merge,
    )


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


# --- cells ---------------------------------------------------------------------------------------


@dataclass
class Cell:
    name: str
    check: Callable[[World], str | None]  # None: held; else what leaked


def refused(response: Any, *allowed: int) -> str | None:
    body = response.content.decode("utf-8", "replace") if hasattr(response, "content") else ""
    if SECRET in body:
        return f"{response.status_code} and the secret text in the body"
    if response.status_code not in allowed:
        return f"status {response.status_code}, expected one of {allowed}"
    return None


def fill(route: str, world: World) -> str:
    """A concrete URL for a route, its parameters pointing at the chat the actor must not reach."""
    values = {
        "conversation_id": world.chat.pk,
        "message_id": world.message.pk,
        "contact_id": world.chat.contact_id,
        "attachment_id": world.attachment.pk,
        "note_id": world.note.pk,
        "merge_id": world.merge.pk,
    }

    def one(match: re.Match[str]) -> str:
        return str(values.get(match.group(1), "1"))

    url = re.sub(r"<(?:\w+:)?(\w+)>", one, route)
    url = re.sub(r"\{(\w+)\}", one, url)
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", one, url)
    return "/" + url.lstrip("^").rstrip("$").lstrip("/")


def http_cells(route: str, kind: str) -> list[Cell]:
    """The cells of one HTTP route of a kind (see HTTP_RULES)."""
    get = lambda who: lambda w: w.client(who(w)).get(fill(route, w))  # noqa: E731
    anon: Callable[[World], None] = lambda w: None  # noqa: E731
    anna: Callable[[World], Operator] = lambda w: w.anna  # noqa: E731
    if kind == "public":
        return [Cell(f"anonymous GET {route}: nothing private", lambda w: refused(get(anon)(w), 200, 302, 404, 405))]
    if kind == "operator-page":
        return [Cell(f"anonymous GET {route}", lambda w: refused(get(anon)(w), 302))]
    if kind == "manager-page":
        return [
            Cell(f"anonymous GET {route}", lambda w: refused(get(anon)(w), 302, 403)),
            Cell(f"operator GET {route}", lambda w: refused(get(anna)(w), 403)),
        ]
    if kind == "own-figures":

        def others_figures(w: World) -> Any:
            url = fill(route, w).replace("/1.csv", "/operators.csv")
            return w.client(w.anna).get(url, {"operator": w.boris.pk})

        return [
            Cell(f"anonymous GET {route}", lambda w: refused(get(anon)(w), 302)),
            Cell(f"operator GET {route} for another operator's figures", lambda w: refused(others_figures(w), 403)),
        ]
    if kind == "manager-alerts":

        def no_alerts(w: World) -> str | None:
            response = w.client(w.anna).get(fill(route, w))
            return None if response.json() == {"alerts": []} else f"an operator got {response.content[:200]!r}"

        return [
            Cell(f"anonymous GET {route}", lambda w: refused(get(anon)(w), 302)),
            Cell(f"operator {route}", no_alerts),
        ]
    if kind == "customer-page":

        def others_customer_post(w: World) -> str | None:
            before = (w.rows(), ContactNote.objects.count(), ContactMerge.objects.count())
            body = {"text": SECRET, "source": str(w.closed.contact_id), "confirm": "yes"}
            answer = refused(w.client(w.anna).post(fill(route, w), body), 403, 404)
            after = (w.rows(), ContactNote.objects.count(), ContactMerge.objects.count())
            return answer or (None if after == before else "rows changed")

        cells = [
            Cell(f"anonymous GET {route}", lambda w: refused(get(anon)(w), 302)),
            Cell(f"operator GET {route} of a customer in another's chat", lambda w: refused(get(anna)(w), 403, 404)),
            Cell(f"operator POST {route} on a customer in another's chat", others_customer_post),
        ]
        if route == "workspace/customers/<int:contact_id>/":
            holder: Callable[[World], Operator] = lambda w: w.boris  # noqa: E731
            manager: Callable[[World], Operator] = lambda w: w.manager  # noqa: E731
            cells.append(Cell(f"holder GET {route}", lambda w: allowed(get(holder)(w))))
            cells.append(Cell(f"manager GET {route}", lambda w: allowed(get(manager)(w))))
        return cells
    if kind == "history-list":
        return [
            Cell(f"anonymous GET {route}", lambda w: refused(get(anon)(w), 302)),
            Cell(f"operator GET {route}: nothing of another's chat", lambda w: refused(get(anna)(w), 200)),
        ]
    if kind == "transcript":

        def read(conversation: Callable[[World], Conversation]) -> Callable[[World], Any]:
            return lambda w: w.client(w.anna).get(f"/workspace/history/{conversation(w).pk}/")

        return [
            Cell(f"anonymous GET {route}", lambda w: refused(get(anon)(w), 302)),
            Cell(f"operator reads another's active chat: {route}", lambda w: refused(get(anna)(w), 403, 404)),
            Cell(f"operator reads another's closed chat: {route}", lambda w: refused(read(lambda w: w.closed)(w), 403)),
            Cell(f"operator reads a queued chat: {route}", lambda w: allowed(read(lambda w: w.queued)(w))),
        ]
    if kind == "manager-post":

        def posted(who: Callable[[World], Operator | None]) -> Callable[[World], str | None]:
            def check(w: World) -> str | None:
                before = w.rows()
                url = fill(route, w).replace(f"/{w.chat.pk}/", f"/{w.closed.pk}/")
                answer = refused(w.client(who(w)).post(url, {"text": "x"}), 302, 403)
                return answer or (None if w.rows() == before else "rows changed")

            return check

        return [
            Cell(f"anonymous POST {route}", posted(anon)),
            Cell(f"operator POST {route} (managers only)", posted(anna)),
        ]
    if kind == "file":
        return [
            Cell(f"anonymous GET {route}", lambda w: refused(get(anon)(w), 302, 403, 404)),
            Cell(f"operator not holding the chat GET {route}", lambda w: refused(get(anna)(w), 403, 404)),
        ]
    if kind == "signed":
        return [Cell(f"forged token GET {route}", lambda w: refused(get(anon)(w), 400, 403, 404, 410))]
    if kind == "admin":
        return [
            Cell(f"anonymous GET {route}", lambda w: refused(get(anon)(w), 302, 404)),
            Cell(f"operator (not staff) GET {route}", lambda w: refused(get(anna)(w), 302, 404)),
        ]
    if kind == "webhook":

        def unsigned(w: World) -> str | None:
            before = w.rows()
            answer = refused(w.client(None).post(fill(route, w), "{}", content_type="application/json"), 403, 400)
            return answer or (None if w.rows() == before else "rows changed")

        return [Cell(f"unsigned POST {route}", unsigned)]
    if kind == "widget-http":
        return [Cell(f"forged token POST {route}", lambda w: forged_widget_post(w, route))]
    if kind == "shop-api":
        return shop_api_cells(route)
    if kind == "search-page":
        return [Cell(f"anonymous GET {route}", lambda w: refused(get(anon)(w), 302)), *search_cells("/" + route)]
    if kind == "api":
        return []  # per operation, below
    raise AssertionError(f"no cells for kind {kind}")


def shop_api_cells(route: str) -> list[Cell]:
    """The shop API takes a shop key only: no key, a forged one, or an operator's session is 401, and
    a refused batch stores nothing."""
    batch = {"orders": [{"number": "X-1", "status": "paid"}]}

    def call(w: World, operator: Operator | None, key: str | None) -> Any:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        client = w.client(operator)
        if route.endswith("/batch"):
            return client.post("/" + route, json.dumps(batch), content_type="application/json", headers=headers)
        return client.get(
            fill(route.replace("<number>", "SECRET-1").replace("<customer_id>", "C-secret"), w), headers=headers
        )

    def check(operator: Callable[[World], Operator | None], key: str | None) -> Callable[[World], str | None]:
        def run(w: World) -> str | None:
            before = Order.objects.count()
            answer = refused(call(w, operator(w), key), 401)
            return answer or (None if Order.objects.count() == before else "orders changed")

        return run

    return [
        Cell(f"no key {route}", check(lambda w: None, None)),
        Cell(f"forged key {route}", check(lambda w: None, "sbk_000000000000_forged")),
        Cell(f"operator session, no key {route}", check(lambda w: w.anna, None)),
        Cell(f"manager session, no key {route}", check(lambda w: w.manager, None)),
    ]


def search_cells(url: str) -> list[Cell]:
    """Searching for the secret's words: an operator holding neither chat finds nothing of them (the
    marks a hit gets would split the secret, so its digits are looked for); a manager finds both."""

    def finds(who: Callable[[World], Operator], expected: bool) -> Callable[[World], str | None]:
        def check(w: World) -> str | None:
            response = w.client(who(w)).get(url, {"q": "canary card"})
            if response.status_code != 200:
                return f"status {response.status_code}"
            found = "4242" in response.content.decode()
            return None if found == expected else ("the secret's words in the results" if found else "nothing found")

        return check

    return [
        Cell(f"operator searches GET {url}: nothing of another's chats", finds(lambda w: w.anna, False)),
        Cell(f"manager searches GET {url}: finds them", finds(lambda w: w.manager, True)),
    ]


def forged_widget_post(world: World, route: str) -> str | None:
    before = world.rows()
    client = world.client(None)
    body = {"token": issue_token("v-b")[:-4] + "AAAA", "email": "x@example.com", "text": "hi", "customer": None}
    if route.endswith("session/"):
        forged = {"id": "1", "name": "", "email": "", "signature": "00" * 32}
        answer = refused(client.post("/" + route, json.dumps({"customer": forged}), "application/json"), 403)
    elif route.endswith("status/"):
        answer = refused(client.get("/" + route), 200)
    elif route.endswith(("preshot/", "notices/")):  # a forged token reads no order and no consent
        answer = refused(client.get("/" + route, {"token": str(body["token"]), "lang": "en"}), 403)
        if route.endswith("notices/"):
            answer = answer or refused(client.post("/" + route, json.dumps(body), "application/json"), 403)
    elif route.endswith("upload/"):
        upload = {"token": body["token"], "client_id": "c-1", "file": SimpleUploadedFile("x.png", TINY_PNG)}
        answer = refused(client.post("/" + route, upload), 403)
    else:
        answer = refused(client.post("/" + route, json.dumps(body), "application/json"), 403)
    return answer or (None if world.rows() == before else "rows changed")


MANAGER_ONLY = {
    ("GET", "/api/ratings/flagged"),
    ("POST", "/api/ratings/{conversation_id}/review"),
    ("GET", "/api/history/export/{table}"),
}


def api_cells(method: str, path: str) -> list[Cell]:
    def call(who: Callable[[World], Operator | None], target: Callable[[World], dict[str, int]] | None = None) -> Any:
        def run(w: World) -> Any:
            url = fill(path, w)
            if target is not None:
                url = "/api" + re.sub(r"\{(\w+)\}", lambda m: str(target(w).get(m.group(1), 1)), path[4:])
            client = w.client(who(w))
            if method == "GET":
                return client.get(url)
            if path.endswith("/attachments"):  # multipart: a real file, so only whose chat it is can refuse
                return client.post(url, {"file": SimpleUploadedFile("x.png", TINY_PNG), "text": "x"})
            body: dict[str, Any] = {"text": "x", "reason_id": 1, "status": "online"}
            if path.endswith("/transfer"):
                body = {"queue_id": w.chat.queue_id}  # a valid target: the refusal is about whose chat it is
            return client.generic(method, url, json.dumps(body), content_type="application/json")

        return run

    def write_refused(who: Callable[[World], Operator | None], *codes: int, target: Any = None) -> Callable[..., Any]:
        def check(w: World) -> str | None:
            before = w.rows()
            answer = refused(call(who, target)(w), *codes)
            return answer or (None if w.rows() == before else "rows changed")

        return check

    anon: Callable[[World], None] = lambda w: None  # noqa: E731
    anna: Callable[[World], Operator] = lambda w: w.anna  # noqa: E731
    cells = [Cell(f"anonymous {method} {path}", write_refused(anon, 401))]
    if (method, path) in MANAGER_ONLY:
        cells.append(Cell(f"operator {method} {path} (managers only)", write_refused(anna, 403, 404)))
    elif "{" in path:
        kind = "read" if method == "GET" else "write"
        cells.append(Cell(f"operator {kind}s another's active chat: {method} {path}", write_refused(anna, 403, 404)))
        # A write to a chat that is closed may be refused for that first (409); nothing changes either way.
        if "{conversation_id}" in path:
            other_closed = lambda w: {"conversation_id": w.closed.pk}  # noqa: E731
            cells.append(
                Cell(
                    f"operator {kind}s another's closed chat: {method} {path}",
                    write_refused(anna, 403, 404, 409, target=other_closed),
                )
            )
            if method == "GET":
                queued = lambda w: {"conversation_id": w.queued.pk}  # noqa: E731
                cells.append(Cell(f"operator reads a queued chat: {path}", lambda w: allowed(call(anna, queued)(w))))
            else:
                queued = lambda w: {"conversation_id": w.queued.pk}  # noqa: E731
                cells.append(
                    Cell(
                        f"operator writes a queued chat: {method} {path}",
                        write_refused(anna, 403, 404, 409, target=queued),
                    )
                )
    elif method == "GET":
        cells.append(Cell(f"operator GET {path}: nothing of another's chat", lambda w: refused(call(anna)(w), 200)))
    if path == "/api/search":
        cells += search_cells(path)
    return cells


def allowed(response: Any) -> str | None:
    return None if response.status_code == 200 else f"status {response.status_code}, the product means it readable"


# Routes by pattern (first match wins). A route matching none fails the test: classify it here.
HTTP_RULES: list[tuple[str, str]] = [
    (r"^$", "public"),
    (r"^healthz$", "public"),
    (r"^favicon\.ico$", "public"),
    (r"^i18n/setlang/$", "public"),
    (r"^workspace/login/$", "public"),
    (r"^workspace/logout/$", "public"),
    (r"^workspace/$", "operator-page"),
    (r"^workspace/kb/$", "operator-page"),
    (r"^workspace/kb/", "manager-page"),
    (r"^help/", "public"),
    (r"^workspace/dashboards/$", "operator-page"),
    (r"^workspace/dashboards/(history/|history\.json|export/)", "own-figures"),
    (r"^workspace/dashboards/alerts\.json$", "manager-alerts"),
    (r"^workspace/dashboards/", "manager-page"),
    (r"^workspace/customers/", "customer-page"),
    (r"^workspace/history/$", "history-list"),
    (r"^workspace/history/export/", "manager-page"),
    (r"^workspace/history/<int:conversation_id>/$", "transcript"),
    (r"^workspace/history/<int:conversation_id>/(reopen|write-again)/$", "manager-post"),
    (r"^workspace/search/$", "search-page"),
    (r"^workspace/preshot/", "manager-page"),
    (r"^workspace/attachments/", "file"),
    (r"^workspace/questionnaires/", "file"),
    (r"^files/", "signed"),
    (r"^connectors/questionnaire/", "signed"),
    (r"^connectors/telegram/webhook/$", "webhook"),
    (r"^connectors/vk/callback/$", "webhook"),
    (r"^connectors/widget/strings/$", "public"),
    (r"^connectors/widget/(session|status|offline|upload)/$", "widget-http"),
    (r"^connectors/widget/preshot/((opened|help|notices)/)?$", "widget-http"),
    (r"^admin/(login|logout)/$", "public"),
    (r"^admin/", "admin"),
    (r"^api/(openapi\.json|docs)?$", "public"),
    (r"^api/shop/v1/(openapi\.json|docs)?$", "public"),
    (r"^api/shop/v1/", "shop-api"),
    (r"^api/", "api"),
]
WS_RULES = {"ws/widget/": "visitor", "ws/workspace/": "operator"}


def kind_of(route: str) -> str | None:
    return next((kind for pattern, kind in HTTP_RULES if re.search(pattern, route)), None)


def test_every_route_is_classified() -> None:
    unclassified = [route for route in http_routes() if kind_of(route) is None]
    unclassified += [route for route in ws_routes() if route not in WS_RULES]
    assert unclassified == [], "classify these routes in HTTP_RULES / WS_RULES"
    # Every API route of the URL conf is an operation of the schema (so the per-operation cells cover it).
    schema_paths = {path for _, path in api_operations()}
    for route in http_routes():
        if kind_of(route) == "api":
            assert "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route) in schema_paths, route


def all_http_cells() -> list[Cell]:
    cells = [cell for route in http_routes() for cell in http_cells(route, kind_of(route) or "unclassified")]
    return cells + [cell for method, path in api_operations() for cell in api_cells(method, path)]


def test_http_matrix_has_no_leak(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    cells = all_http_cells()
    leaks = [f"{cell.name}: {outcome}" for cell in cells if (outcome := cell.check(world)) is not None]
    with capsys.disabled():
        print(f"\nHTTP authorization cells checked: {len(cells)}, leaks: {len(leaks)}")
    assert leaks == [], "\n".join(leaks)


# --- WebSocket cells -------------------------------------------------------------------------------


async def frames_until_quiet(communicator: WebsocketCommunicator) -> list[dict[str, Any]]:
    frames = []
    while not await communicator.receive_nothing(timeout=0.5):
        frames.append(json.loads(await communicator.receive_from()))
    return frames


async def widget_cells(world: World) -> list[tuple[str, str | None]]:
    """Visitor A against visitor B's conversation: forged ids in frames, altered tokens."""
    results: list[tuple[str, str | None]] = []
    theirs = world.chat.pk

    async def socket() -> WebsocketCommunicator:
        communicator = WebsocketCommunicator(application, "/ws/widget/", headers=[ORIGIN])
        assert (await communicator.connect(timeout=10))[0]
        return communicator

    async def count() -> int:
        return await database_sync_to_async(Message.objects.filter(conversation_id=theirs).count)()

    before = await count()
    visitor_a = await socket()
    await visitor_a.send_json_to({"type": "hello", "token": issue_token("v-a"), "conversation_id": theirs})
    frames = await frames_until_quiet(visitor_a)
    results.append(("visitor A hello following B's conversation", leak_in(frames, "forbidden")))
    await visitor_a.send_json_to({"type": "hello", "token": issue_token("v-a")})
    await frames_until_quiet(visitor_a)
    for frame in (
        {"type": "message", "text": "injected", "client_id": "x1", "conversation_id": theirs},
        {"type": "rate", "stars": 1, "conversation_id": theirs},
    ):
        await visitor_a.send_json_to(frame)
        results.append(
            (
                f"visitor A {frame['type']} frame with B's conversation id",
                leak_in(await frames_until_quiet(visitor_a), "forbidden"),
            )
        )
    await visitor_a.disconnect()
    for name, token in (
        ("altered token", issue_token("v-b")[:-2] + "xx"),
        ("token of another salt", __import__("django.core.signing").core.signing.dumps({"v": "v-b"})),
        ("visitor id in place of a token", "v-b"),
    ):
        communicator = await socket()
        await communicator.send_json_to({"type": "hello", "token": token})
        results.append((f"hello with {name}", leak_in(await frames_until_quiet(communicator), "invalid_token")))
        await communicator.disconnect()
    changed = await count() != before
    results.append(("B's conversation unchanged after all of it", "rows changed" if changed else None))
    return results


def leak_in(frames: list[dict[str, Any]], expected_code: str) -> str | None:
    text = json.dumps(frames, ensure_ascii=False)
    if SECRET in text:
        return "the secret text reached the socket"
    if not any(f.get("type") == "error" and f.get("code") == expected_code for f in frames):
        return f"no {expected_code} error in {text[:300]}"
    return None


async def workspace_cells(world: World) -> list[tuple[str, str | None]]:
    """Anonymous and an operator who does not hold the chat, on the workspace stream."""
    results: list[tuple[str, str | None]] = []
    anonymous = WebsocketCommunicator(application, "/ws/workspace/", headers=[ORIGIN])
    connected, code = await anonymous.connect(timeout=10)
    results.append(("anonymous workspace socket", None if not connected else f"accepted ({code})"))
    client = await database_sync_to_async(world.client)(world.anna)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    anna = WebsocketCommunicator(application, "/ws/workspace/?last_event_id=0", headers=[ORIGIN, (b"cookie", cookie)])
    assert (await anna.connect(timeout=10))[0]
    replay = await frames_until_quiet(anna)
    leaked = SECRET in json.dumps(replay, ensure_ascii=False)
    results.append(("operator's replay from 0 holds nothing of another's chat", "secret replayed" if leaked else None))
    await anna.send_json_to({"type": "typing", "conversation_id": world.chat.pk})
    results.append(("operator typing into another's chat", leak_in(await frames_until_quiet(anna), "forbidden")))
    await anna.disconnect()
    return results


async def test_websocket_matrix_has_no_leak(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    cells = {"visitor": widget_cells, "operator": workspace_cells}
    results = [result for route in ws_routes() for result in await cells[WS_RULES[route]](world)]
    await database_sync_to_async(connections.close_all)()
    leaks = [f"{name}: {outcome}" for name, outcome in results if outcome is not None]
    with capsys.disabled():
        print(f"\nWebSocket authorization cells checked: {len(results)}, leaks: {len(leaks)}")
    assert leaks == [], "\n".join(leaks)
