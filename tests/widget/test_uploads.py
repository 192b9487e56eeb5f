"""Shoppers attach files from the widget: limits, refusals in their language, safe links both ways."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chat.actions import do_operator_reply, do_set_operator_status
from chat.models import Attachment, Conversation, Message, Operator
from connectors.widget.signing import issue_token
from tests.connectors.test_attachments import EVIL_HTML, EVIL_SVG, PNG, SANDBOX

pytestmark = [pytest.mark.django_db, pytest.mark.embedded, pytest.mark.usefixtures("queues")]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def upload(
    content: bytes, name: str = "photo.png", *, visitor: str = "v-up", client_id: str = "c-1", **fields: str
) -> Any:
    data: dict[str, Any] = {
        "token": issue_token(visitor),
        "client_id": client_id,
        "file": SimpleUploadedFile(name, content, content_type="image/png"),
        **fields,
    }
    return Client().post("/connectors/widget/upload/", data=data)


@pytest.mark.django_db(transaction=True)
def test_a_photo_becomes_a_message_the_operator_sees_as_a_thumbnail(make_operator: Callable[..., Operator]) -> None:
    operator = make_operator("Anna")
    do_set_operator_status(operator_id=operator.pk, status="online")
    response = upload(PNG, text="The seam is torn <b>here</b>")
    assert response.status_code == 201
    body = response.json()
    message = Message.objects.get(pk=body["message"]["id"])
    assert message.text == "The seam is torn <b>here</b>"
    assert message.conversation.operator_id == operator.pk
    [attachment] = body["message"]["attachments"]
    assert attachment["inline"] is True and attachment["name"] == "photo.png"

    # The shopper's link needs no session; the operator's link is the access-checked view.
    shopper_copy = Client().get(attachment["url"])
    assert shopper_copy.status_code == 200
    assert shopper_copy["Content-Type"] == "image/png"
    assert shopper_copy["X-Content-Type-Options"] == "nosniff"
    assert shopper_copy["Content-Security-Policy"] == SANDBOX
    assert b"".join(shopper_copy.streaming_content) == PNG  # type: ignore[attr-defined]  # stubs: test responses never stream
    desk = Client()
    desk.force_login(operator.user)
    detail = desk.get(f"/api/conversations/{message.conversation_id}").json()
    [seen] = detail["messages"][-1]["attachments"]
    assert seen["inline"] is True
    assert desk.get(seen["url"]).status_code == 200


def test_a_pdf_is_a_download_never_shown_in_place() -> None:
    body = upload(PDF, "receipt.pdf").json()
    [attachment] = body["message"]["attachments"]
    assert attachment["inline"] is False
    response = Client().get(attachment["url"])
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize(
    ("content", "name", "language", "words"),
    [
        (EVIL_HTML, "photo.png", "en", "this type of file is not allowed"),
        (EVIL_SVG, "cat.svg", "ru", "такие файлы не принимаются"),
    ],
)
def test_markup_disguised_as_a_picture_is_refused_in_the_shoppers_language(
    content: bytes, name: str, language: str, words: str
) -> None:
    response = upload(content, name, language=language)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "file_refused"
    assert words in response.json()["error"]["message"]
    assert not Attachment.objects.exists() and not Message.objects.exists()


def test_a_file_over_the_limit_is_refused_and_nothing_stored(settings: Any) -> None:
    settings.SWITCHBOARD_ATTACHMENT_MAX_BYTES = 1000
    response = upload(PNG + b"\0" * 2000)
    assert response.status_code == 400
    assert "larger than 0.001 MB" in response.json()["error"]["message"]
    huge = upload(PNG + b"\0" * 40_000)  # past the limit by more than the form's fields: refused unread
    assert huge.status_code == 413
    assert not Message.objects.exists()


def test_a_resent_upload_is_stored_once() -> None:
    first = upload(PNG, client_id="same")
    again = upload(PNG, client_id="same")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["message"]["id"] == first.json()["message"]["id"]
    assert Attachment.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"token": "forged"}, 403, "invalid_token"),
        ({"client_id": ""}, 400, "malformed"),
        ({"conversation_id": "seven"}, 400, "malformed"),
        ({"text": "x" * 5000}, 400, "invalid_input"),
    ],
)
def test_bad_upload_fields_get_a_clear_error(change: dict[str, str], status: int, code: str) -> None:
    data: dict[str, Any] = {
        "token": issue_token("v-bad"),
        "client_id": "c-1",
        "file": SimpleUploadedFile("a.png", PNG),
        **change,
    }
    response = Client().post("/connectors/widget/upload/", data=data)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert not Message.objects.exists()


def test_no_file_or_not_a_form_is_malformed() -> None:
    no_file = Client().post("/connectors/widget/upload/", data={"token": issue_token("v"), "client_id": "c"})
    assert no_file.json()["error"]["code"] == "malformed"
    as_json = Client().post("/connectors/widget/upload/", data="{}", content_type="application/json")
    assert as_json.json()["error"]["code"] == "malformed"


def test_a_forged_shopper_link_and_a_notes_file_are_not_served(make_operator: Callable[..., Operator]) -> None:
    body = upload(PNG).json()
    url = body["message"]["attachments"][0]["url"]
    assert Client().get(url[:-3] + "xx/").status_code == 404
    operator = make_operator("Anna")
    conversation = Conversation.objects.get(pk=body["conversation_id"])
    do_set_operator_status(operator_id=operator.pk, status="online")
    conversation.refresh_from_db()
    note = do_operator_reply(conversation_id=conversation.pk, operator_id=operator.pk, text="note", is_note=True)
    Attachment.objects.filter(message__conversation=conversation).update(message=note)
    assert Client().get(url).status_code == 404


def test_files_go_through_the_storage_api_so_any_backend_holds_them(settings: Any, tmp_path: Any) -> None:
    """With another backend (here Django's in-memory one, as an S3 bucket would be), nothing is
    written to the local folder and the shopper's link still serves the bytes."""
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    body = upload(PNG).json()
    [attachment] = body["message"]["attachments"]
    served = Client().get(attachment["url"])
    assert b"".join(served.streaming_content) == PNG  # type: ignore[attr-defined]  # stubs: test responses never stream
    assert list(tmp_path.iterdir()) == []
