"""The customer page and its API as an operator uses them: identities people can read, notes that
stay escaped, merging and undoing through the page, and who may see what."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

import pytest
from django.http import HttpResponseRedirect
from django.test import Client

from chat.actions import (
    InboundMessage,
    do_add_contact_note,
    do_close,
    do_receive_inbound,
    do_set_operator_status,
)
from chat.models import Contact, ContactMerge, ContactNote, Identity, Operator
from tests.people.conftest import snapshot
from tests.workspace.conftest import csrf_headers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

SCRIPT = '<img src=x onerror="alert(1)">'


@pytest.fixture
def boris(make_operator: Callable[..., Operator]) -> Operator:
    operator = make_operator("Boris")
    do_set_operator_status(operator_id=operator.pk, status="online")
    return operator


def chat_with(connector: str, sender: str, **kwargs: Any) -> Contact:
    do_receive_inbound(InboundMessage(connector=connector, sender_id=sender, text="hello", **kwargs))
    return Identity.objects.get(connector=connector, external_id=sender).contact


def logged_in(operator: Operator) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator.user)
    client.get("/workspace/")
    return client


def test_identities_are_shown_as_people_read_them(queues: Any, boris: Operator) -> None:
    contact = chat_with("telegram", "4242", sender_name="Olga Petrova", identity_details={"username": "olga_p"})
    vk = chat_with("vk", "123456", sender_name="Olga P.")
    Contact.objects.filter(pk=contact.pk).update(email="olga@example.com", phone="+79161234567", customer_id="C-5")
    from chat.actions import do_merge_contacts

    do_merge_contacts(source_id=vk.pk, target_id=contact.pk, operator_id=boris.pk)
    page = logged_in(boris).get(f"/workspace/customers/{contact.pk}/").content.decode()
    assert "@olga_p Olga Petrova" in page and 'href="https://t.me/olga_p"' in page
    assert 'href="https://vk.com/id123456"' in page and "Olga P." in page
    assert 'href="mailto:olga@example.com"' in page and "+79161234567" in page and "C-5" in page
    data = logged_in(boris).get(f"/api/customers/{contact.pk}").json()
    kinds = {row["kind"]: row for row in data["identities"]}
    assert kinds["vk"]["url"] == "https://vk.com/id123456"
    assert kinds["telegram"]["text"] == "@olga_p Olga Petrova"
    assert [c["url"] for c in data["conversations"]] == [
        f"/workspace/history/{c['id']}/" for c in data["conversations"]
    ]
    assert len(data["conversations"]) == 2


def test_conversations_show_reason_and_rating(queues: Any, boris: Operator, reason: Any) -> None:
    from chat.actions import do_operator_reply, do_rate_conversation

    received = do_receive_inbound(InboundMessage(connector="widget", sender_id="v-r", text="hello"))
    do_operator_reply(conversation_id=received.conversation.pk, operator_id=boris.pk, text="On its way.")
    do_close(conversation_id=received.conversation.pk, operator_id=boris.pk, reason_id=reason.pk)
    do_rate_conversation(conversation_id=received.conversation.pk, connector="widget", sender_id="v-r", stars=4)
    chat_with("widget", "v-r")  # a new chat, so Boris holds the customer again
    data = logged_in(boris).get(f"/api/customers/{received.conversation.contact_id}").json()
    closed = next(c for c in data["conversations"] if c["id"] == received.conversation.pk)
    assert (closed["stars"], closed["reason"]) == (4, "Order: where is it")


def test_notes_are_stored_exactly_and_shown_escaped(queues: Any, boris: Operator) -> None:
    contact = chat_with("widget", "v-n")
    client = logged_in(boris)
    response = client.post(
        f"/api/customers/{contact.pk}/notes", json.dumps({"text": SCRIPT}), "application/json", **_h(client)
    )
    assert response.status_code == 201, response.content
    assert ContactNote.objects.get().text == SCRIPT
    page = client.get(f"/workspace/customers/{contact.pk}/").content.decode()
    assert SCRIPT not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "Boris" in page


def test_only_the_author_edits_a_note(queues: Any, boris: Operator, make_operator: Callable[..., Operator]) -> None:
    maria = make_operator("Maria", is_manager=True)
    contact = chat_with("widget", "v-e")
    note = do_add_contact_note(contact_id=contact.pk, operator_id=boris.pk, text="first")
    client = logged_in(maria)
    response = client.patch(
        f"/api/customer-notes/{note.pk}", json.dumps({"text": "x"}), "application/json", **_h(client)
    )
    assert response.status_code == 403
    client = logged_in(boris)
    response = client.post(f"/workspace/customers/{contact.pk}/notes/{note.pk}/", {"text": "second"}, **_h(client))
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.text, note.edited_at is not None) == ("second", True)
    bad = client.post(
        f"/api/customers/{contact.pk}/notes", json.dumps({"text": "  "}), "application/json", **_h(client)
    )
    assert bad.status_code == 400 and ContactNote.objects.count() == 1


def test_merge_through_the_page_needs_the_confirmation_and_undoes(queues: Any, boris: Operator) -> None:
    target = chat_with("telegram", "900", sender_name="Ivan")
    source = chat_with("vk", "900", sender_name="Ivan V")
    client = logged_in(boris)
    found = client.get(f"/workspace/customers/{target.pk}/", {"find": "Ivan V"}).content.decode()
    assert f'href="?merge={source.pk}#merge"' in found
    before = snapshot()
    unconfirmed = client.post(f"/workspace/customers/{target.pk}/merge/", {"source": source.pk}, **_h(client))
    assert unconfirmed.status_code == 302 and snapshot() == before
    client.post(f"/workspace/customers/{target.pk}/merge/", {"source": source.pk, "confirm": "yes"}, **_h(client))
    merge = ContactMerge.objects.get()
    assert Identity.objects.get(connector="vk", external_id="900").contact_id == target.pk
    page = client.get(f"/workspace/customers/{target.pk}/").content.decode()
    assert f"/workspace/customers/{target.pk}/merges/{merge.pk}/undo/" in page
    # The merged-away id now leads to the customer it is part of.
    # The test client cannot know this answer is a redirect.
    assert cast(HttpResponseRedirect, client.get(f"/workspace/customers/{source.pk}/")).url == (
        f"/workspace/customers/{target.pk}/"
    )
    client.post(f"/workspace/customers/{target.pk}/merges/{merge.pk}/undo/", **_h(client))
    assert snapshot() == before


def test_an_operator_sees_only_customers_of_chats_they_may_read(
    queues: Any, boris: Operator, make_operator: Callable[..., Operator]
) -> None:
    secret = chat_with("widget", "v-secret")  # Boris' active chat
    anna = make_operator("Anna")
    do_set_operator_status(operator_id=anna.pk, status="online")
    mine = chat_with("widget", "v-mine")  # Anna has fewer chats: hers
    client = logged_in(anna)
    assert client.get(f"/workspace/customers/{secret.pk}/").status_code == 403
    assert client.get(f"/api/customers/{secret.pk}").status_code == 403
    assert client.get(f"/workspace/customers/{mine.pk}/").status_code == 200
    # Searching from her own customer does not reveal Boris' one, on the page or in the API.
    assert client.get(f"/api/customers/{mine.pk}/merge-candidates", {"q": "v-secret"}).json() == []
    assert (
        f"?merge={secret.pk}"
        not in client.get(f"/workspace/customers/{mine.pk}/", {"merge": secret.pk}).content.decode()
    )
    before = snapshot()
    body = json.dumps({"source_id": secret.pk})
    refused = client.post(f"/api/customers/{mine.pk}/merge", body, "application/json", **_h(client))
    assert refused.status_code == 403 and snapshot() == before
    manager = logged_in(make_operator("Maria", is_manager=True))
    assert [c["id"] for c in manager.get(f"/api/customers/{mine.pk}/merge-candidates", {"q": "v-secret"}).json()] == [
        secret.pk
    ]


def _h(client: Client) -> dict[str, Any]:
    return {"HTTP_X_CSRFTOKEN": csrf_headers(client)["X-CSRFToken"]}


def test_another_apps_section_shows_on_the_page(
    queues: Any, boris: Operator, tmp_path: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workspace import customers

    (tmp_path / "orders_section.html").write_text("<h2>Orders</h2><p>{{ data.count }} for {{ customer.name }}</p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], str(tmp_path)]}]
    monkeypatch.setattr(customers, "_sections", {})
    customers.register_section("orders", "orders_section.html", lambda contact, operator: {"count": 3})
    contact = chat_with("widget", "v-o", sender_name="<b>Oleg</b>")
    page = logged_in(boris).get(f"/workspace/customers/{contact.pk}/").content.decode()
    assert '<section class="extra" data-section="orders"><h2>Orders</h2><p>3 for &lt;b&gt;Oleg&lt;/b&gt;</p>' in page
