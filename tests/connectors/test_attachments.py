"""Files shoppers send from Telegram and VK: how they are stored, served and refused.

Files arrive through the fake Bot API / VK servers and the real client libraries, and are fetched
back by an operator through the workspace's URL, exactly as the workspace links to them.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from chat.models import Attachment, Message, Operator
from tests.connectors.conftest import fixture
from tests.connectors.helpers import online
from tests.fakes.telegram import FakeTelegram

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

# A real 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
EVIL_HTML = b"<html><body><script>fetch('/api/me').then(r => r.text()).then(t => alert(t))</script></body></html>"
EVIL_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="fetch(\'/api/me\')"><circle r="9"/></svg>'
SANDBOX = "sandbox; default-src 'none'"


def telegram_document(file_name: str, mime_type: str, size: int, caption: str = "") -> dict[str, Any]:
    update = copy.deepcopy(fixture("telegram", "message__document"))
    update["message"]["document"].update(file_name=file_name, mime_type=mime_type, file_size=size)
    if caption:
        update["message"]["caption"] = caption
    return update


def send_document(
    post_update: Callable[..., Any], fake: FakeTelegram, name: str, mime: str, content: bytes, caption: str = ""
) -> Message:
    fake.add_file("BQACAgIAAxkBAAIBdoc", content, "documents/file_7")
    assert post_update(telegram_document(name, mime, len(content), caption)).status_code == 200
    return Message.objects.get(connector="telegram", author_kind="shopper")


def operator_client(operator: Operator) -> Client:
    client = Client()
    client.force_login(operator.user)
    return client


def workspace_attachment(client: Client, message: Message) -> dict[str, Any]:
    """The attachment as the workspace API lists it (the link the operator clicks)."""
    body = client.get(f"/api/conversations/{message.conversation_id}").json()
    [listed] = next(m for m in body["messages"] if m["id"] == message.pk)["attachments"]
    return listed


def assert_sandboxed(response: Any) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == SANDBOX


@pytest.mark.parametrize(
    ("name", "claimed", "content"),
    [
        ("evil.html", "text/html", EVIL_HTML),
        ("logo.svg", "image/svg+xml", EVIL_SVG),
        ("photo.png", "image/png", EVIL_SVG),  # the sender lies about the type: the bytes decide
    ],
)
def test_markup_from_telegram_is_only_ever_a_sandboxed_download(
    post_update, fake_telegram, make_operator, settings, name, claimed, content
) -> None:
    settings.SWITCHBOARD_ATTACHMENT_TYPES = ["*"]  # a shop that accepts any file still never renders one
    operator = online(make_operator())
    message = send_document(post_update, fake_telegram, name, claimed, content)
    client = operator_client(operator)
    listed = workspace_attachment(client, message)
    assert listed["inline"] is False

    response = client.get(listed["url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert_sandboxed(response)
    assert b"".join(response.streaming_content) == content  # type: ignore[attr-defined]  # stubs: test responses never stream; stored exactly, nothing lost


def test_a_photo_is_shown_inline_with_the_type_its_bytes_have(post_update, fake_telegram, make_operator) -> None:
    operator = online(make_operator())
    fake_telegram.add_file("AgACAgIAAxkBAAIBlarge", PNG, "photos/file_1.jpg")
    assert post_update(fixture("telegram", "message__photo")).status_code == 200
    message = Message.objects.get(connector="telegram", author_kind="shopper")
    client = operator_client(operator)
    listed = workspace_attachment(client, message)
    assert listed["inline"] is True

    response = client.get(listed["url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"  # Telegram says JPEG; the bytes are PNG
    assert response["Content-Disposition"].startswith("inline;")
    assert_sandboxed(response)


def test_stored_names_are_random_not_the_senders_or_the_conversations(post_update, fake_telegram, queues) -> None:
    message = send_document(post_update, fake_telegram, "receipt.pdf", "application/pdf", b"%PDF-1.7 receipt")
    [attachment] = Attachment.objects.filter(message=message)
    assert re.fullmatch(r"attachments/[0-9a-f]{32}", attachment.file.name or "")
    assert attachment.name == "receipt.pdf"


def test_a_file_name_with_quotes_and_non_ascii_is_encoded_in_the_header(
    post_update, fake_telegram, make_operator
) -> None:
    operator = online(make_operator())
    message = send_document(post_update, fake_telegram, 'чек "май".pdf', "application/pdf", b"%PDF-1.7 receipt")
    response = operator_client(operator).get(workspace_attachment(operator_client(operator), message)["url"])
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%D1%87%D0%B5%D0%BA%20%22%D0%BC%D0%B0%D0%B9%22.pdf"
    )


@pytest.mark.parametrize(
    ("language", "told"),
    [
        ("ru", "Файл evil.html не принят: такие файлы не принимаются."),
        ("en", "The file evil.html was not accepted: this type of file is not allowed."),
    ],
)
def test_a_refused_type_keeps_the_caption_and_tells_the_shopper_in_their_language(
    post_update, fake_telegram, queues, language, told
) -> None:
    update = telegram_document("evil.html", "text/html", len(EVIL_HTML), caption="Мой заказ 1043")
    update["message"]["from"]["language_code"] = language
    fake_telegram.add_file("BQACAgIAAxkBAAIBdoc", EVIL_HTML, "documents/evil.html")
    assert post_update(update).status_code == 200

    message = Message.objects.get(connector="telegram", author_kind="shopper")
    assert message.text == "[file evil.html not accepted: text/html files are not allowed]\nМой заказ 1043"
    assert not message.attachments.exists()
    [notice] = fake_telegram.sent_texts()
    assert notice.splitlines()[0] == told


def test_a_file_over_the_size_limit_is_not_downloaded_and_the_shopper_is_told(
    post_update, fake_telegram, queues, settings
) -> None:
    settings.SWITCHBOARD_ATTACHMENT_MAX_BYTES = 1_000_000
    fake_telegram.add_file("BQACAgIAAxkBAAIBdoc", b"%PDF-1.7 big", "documents/big.pdf")
    assert post_update(telegram_document("big.pdf", "application/pdf", 3_000_000)).status_code == 200

    message = Message.objects.get(connector="telegram", author_kind="shopper")
    assert message.text == "[file big.pdf not accepted: larger than 1 MB]"
    assert fake_telegram.calls("getFile") == []
    [notice] = fake_telegram.sent_texts()
    assert notice.startswith("Файл big.pdf не принят: он больше 1 МБ.")


def vk_event(fake_url: str, attachments: list[dict[str, Any]], lang_id: int = 0) -> dict[str, Any]:
    event = copy.deepcopy(fixture("vk", "message_new__text"))
    event["object"]["message"]["attachments"] = attachments
    event["object"].setdefault("client_info", {})["lang_id"] = lang_id
    return json.loads(json.dumps(event).replace("https://vk.example", fake_url))


def test_vk_document_of_a_refused_type_tells_the_shopper_and_keeps_the_text(post_event, fake_vk, queues) -> None:
    fake_vk.files["/doc/evil.svg"] = EVIL_SVG
    doc = {
        "type": "doc",
        "doc": {"title": "evil.svg", "ext": "svg", "size": len(EVIL_SVG), "url": "https://vk.example/doc/evil.svg"},
    }
    assert post_event(vk_event(fake_vk.url, [doc])).content == b"ok"

    [message] = Message.objects.filter(connector="vk", author_kind="shopper")
    assert message.text.startswith("[file evil.svg not accepted: image/svg+xml files are not allowed]\n")
    assert message.text.endswith(fixture("vk", "message_new__text")["object"]["message"]["text"])
    assert not message.attachments.exists()
    [sent] = fake_vk.sent()
    assert sent["message"].splitlines()[0] == "Файл evil.svg не принят: такие файлы не принимаются."


def test_vk_document_over_the_limit_is_not_downloaded(post_event, fake_vk, queues, settings) -> None:
    settings.SWITCHBOARD_ATTACHMENT_MAX_BYTES = 1_000_000
    doc = {
        "type": "doc",
        "doc": {"title": "big.pdf", "ext": "pdf", "size": 5_000_000, "url": "https://vk.example/doc/big.pdf"},
    }
    assert post_event(vk_event(fake_vk.url, [doc], lang_id=3)).content == b"ok"

    [message] = Message.objects.filter(connector="vk", author_kind="shopper")
    assert message.text.startswith("[file big.pdf not accepted: larger than 1 MB]")
    assert fake_vk.calls("file") == []
    [sent] = fake_vk.sent()
    assert sent["message"].startswith("The file big.pdf was not accepted: it is larger than 1 MB.")


def test_telegrams_own_download_cap_is_a_refusal_the_shopper_hears_about(
    post_update, fake_telegram, queues, settings
) -> None:
    settings.SWITCHBOARD_ATTACHMENT_MAX_BYTES = 50_000_000  # the shop allows more than Telegram gives bots
    update = telegram_document("video.zip", "application/zip", 25 * 1024 * 1024)
    update["message"]["from"]["language_code"] = "en"
    assert post_update(update).status_code == 200

    message = Message.objects.get(connector="telegram", author_kind="shopper")
    assert message.text == "[file video.zip not accepted: larger than 21 MB]"
    assert fake_telegram.calls("getFile") == []
    [notice] = fake_telegram.sent_texts()
    assert notice.startswith("The file video.zip was not accepted: it is larger than 21 MB.")
