"""Who may fetch a stored file, and what nobody can find: attachments and questionnaire photos."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from chat.actions import (
    InboundAttachment,
    ReceivedMessage,
    do_set_operator_status,
    do_start_consultation,
    do_submit_questionnaire,
)
from chat.models import Attachment, Operator, Questionnaire
from tests.connectors.test_attachments import EVIL_HTML, PNG, SANDBOX

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]  # assignment runs on commit


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def online(operator: Operator) -> Operator:
    do_set_operator_status(operator_id=operator.pk, status="online")
    return operator


def logged_in(operator: Operator) -> Client:
    client = Client()
    client.force_login(operator.user)
    return client


def held_chat_with_file(
    make_operator: Callable[..., Operator], shopper_writes: Callable[..., ReceivedMessage], content: bytes = PNG
) -> tuple[Attachment, Operator]:
    """A shopper sends a file; an online operator holds the chat."""
    holder = online(make_operator("Olga"))
    received = shopper_writes(
        "v-file", "see attached", attachments=[InboundAttachment(name="dress.png", content=content)]
    )
    received.conversation.refresh_from_db()
    assert received.conversation.operator_id == holder.pk
    return received.message.attachments.get(), holder


def test_the_operator_holding_the_chat_gets_the_file(make_operator, shopper_writes) -> None:
    attachment, holder = held_chat_with_file(make_operator, shopper_writes)
    response = logged_in(holder).get(f"/workspace/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG  # type: ignore[attr-defined]  # stubs: test responses never stream


def test_anonymous_cannot_tell_a_real_attachment_from_a_missing_one(make_operator, shopper_writes) -> None:
    attachment, _ = held_chat_with_file(make_operator, shopper_writes)
    real = Client().get(f"/workspace/attachments/{attachment.pk}/")
    missing = Client().get(f"/workspace/attachments/{attachment.pk + 1000}/")
    assert real.status_code == missing.status_code == 404
    assert real.content == missing.content


def test_an_operator_who_cannot_read_the_conversation_is_refused_like_a_stranger(make_operator, shopper_writes) -> None:
    attachment, _ = held_chat_with_file(make_operator, shopper_writes)
    other = make_operator("Boris")  # created after the chat was assigned: it is not theirs
    refused = logged_in(other).get(f"/workspace/attachments/{attachment.pk}/")
    missing = logged_in(other).get(f"/workspace/attachments/{attachment.pk + 1000}/")
    assert refused.status_code == missing.status_code == 404
    assert refused.content == missing.content


def test_a_signed_in_user_who_is_no_operator_gets_nothing(make_operator, shopper_writes, django_user_model) -> None:
    attachment, _ = held_chat_with_file(make_operator, shopper_writes)
    client = Client()
    client.force_login(django_user_model.objects.create_user(username="shopkeeper", password="pw-123456"))
    assert client.get(f"/workspace/attachments/{attachment.pk}/").status_code == 404


def test_the_file_is_not_reachable_under_media_by_its_storage_name(make_operator, shopper_writes) -> None:
    attachment, holder = held_chat_with_file(make_operator, shopper_writes)
    assert Path(attachment.file.path).exists()
    assert Client().get(f"/media/{attachment.file.name}").status_code == 404
    assert logged_in(holder).get(f"/media/{attachment.file.name}").status_code == 404


def test_a_guessed_old_style_url_finds_nothing(make_operator, shopper_writes, settings) -> None:
    """Files stored under the old guessable names stay on disk but are no longer public."""
    attachment, holder = held_chat_with_file(make_operator, shopper_writes)
    old = Path(settings.MEDIA_ROOT) / "attachments" / str(attachment.message.conversation_id) / "photo_14.jpg"
    old.parent.mkdir(parents=True)
    old.write_bytes(PNG)
    guessed = f"/media/attachments/{attachment.message.conversation_id}/photo_14.jpg"
    assert Client().get(guessed).status_code == 404
    assert logged_in(holder).get(guessed).status_code == 404


def test_a_row_stored_before_sniffing_is_sniffed_by_the_migration_and_served_as_a_download(
    make_operator, shopper_writes
) -> None:
    attachment, holder = held_chat_with_file(make_operator, shopper_writes, content=EVIL_HTML)
    Attachment.objects.filter(pk=attachment.pk).update(detected_type="", content_type="image/png")  # as before
    migration = importlib.import_module("chat.migrations.0006_attachment_detected_type")
    migration.sniff_existing(apps, None)

    response = logged_in(holder).get(f"/workspace/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == SANDBOX


def test_files_under_old_guessable_names_are_moved_to_random_ones_by_the_migration(
    make_operator, shopper_writes, settings
) -> None:
    attachment, holder = held_chat_with_file(make_operator, shopper_writes)
    conversation_id = attachment.message.conversation_id
    old_name = f"attachments/{conversation_id}/photo_14.jpg"
    old_path = Path(settings.MEDIA_ROOT) / old_name
    old_path.parent.mkdir(parents=True)
    Path(attachment.file.path).rename(old_path)
    Attachment.objects.filter(pk=attachment.pk).update(file=old_name)  # a row as stored before
    migration = importlib.import_module("chat.migrations.0006_attachment_detected_type")
    migration.rename_guessable(apps, None)

    attachment.refresh_from_db()
    assert re.fullmatch(r"attachments/[0-9a-f]{32}", attachment.file.name or "")
    assert not old_path.exists()
    response = logged_in(holder).get(f"/workspace/attachments/{attachment.pk}/")
    assert b"".join(response.streaming_content) == PNG  # type: ignore[attr-defined]  # stubs: test responses never stream


def test_a_write_method_is_not_allowed(make_operator, shopper_writes) -> None:
    attachment, holder = held_chat_with_file(make_operator, shopper_writes)
    assert logged_in(holder).post(f"/workspace/attachments/{attachment.pk}/").status_code == 405


def consultation_with_photo(make_operator: Callable[..., Operator]) -> tuple[int, Operator]:
    from tests.feedback.test_consultation import answers, as_post

    stylist = online(make_operator("Sofia", skills=["stylist"]))
    conversation_id = do_start_consultation(connector="widget", sender_id="v-form").conversation.pk
    photo = SimpleUploadedFile("me.png", PNG, content_type="image/png")
    do_submit_questionnaire(conversation_id=conversation_id, data=as_post(answers()), files={"photo": photo})
    return conversation_id, stylist


def test_the_stylist_sees_the_questionnaire_photo_inline_and_others_do_not(make_operator) -> None:
    conversation_id, stylist = consultation_with_photo(make_operator)
    url = f"/workspace/questionnaires/{conversation_id}/photo/"
    response = logged_in(stylist).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert Client().get(url).status_code == 404
    # A general operator who does not hold the consultation; it is active with the stylist.
    assert logged_in(make_operator("Boris")).get(url).status_code == 404


def test_an_old_questionnaire_photo_name_is_moved_to_a_random_one(make_operator, settings) -> None:
    conversation_id, stylist = consultation_with_photo(make_operator)
    questionnaire = Questionnaire.objects.get(conversation_id=conversation_id)
    old_name = f"questionnaires/{conversation_id}/photo-1763900000.png"
    old_path = Path(settings.MEDIA_ROOT) / old_name
    old_path.parent.mkdir(parents=True)
    Path(questionnaire.photo.path).rename(old_path)
    Questionnaire.objects.filter(pk=questionnaire.pk).update(photo=old_name)
    importlib.import_module("chat.migrations.0006_attachment_detected_type").rename_guessable(apps, None)

    questionnaire.refresh_from_db()
    assert re.fullmatch(r"questionnaires/[0-9a-f]{32}\.png", questionnaire.photo.name or "")
    assert not old_path.exists()
    response = logged_in(stylist).get(f"/workspace/questionnaires/{conversation_id}/photo/")
    assert b"".join(response.streaming_content) == PNG  # type: ignore[attr-defined]  # stubs: test responses never stream


def test_with_a_file_origin_the_workspace_redirects_to_a_short_lived_signed_link(
    make_operator, shopper_writes, settings
) -> None:
    settings.SWITCHBOARD_ATTACHMENT_ORIGIN = "http://files.testserver"
    settings.ALLOWED_HOSTS = ["testserver", "files.testserver"]
    attachment, holder = held_chat_with_file(make_operator, shopper_writes)
    redirect = logged_in(holder).get(f"/workspace/attachments/{attachment.pk}/")
    assert redirect.status_code == 302
    link = redirect["Location"]
    assert link.startswith("http://files.testserver/files/")
    path = link.removeprefix("http://files.testserver")

    served = Client().get(path, headers={"Host": "files.testserver"})  # no session on the file origin
    assert served.status_code == 200
    assert served["Content-Security-Policy"] == SANDBOX
    assert Client().get(path).status_code == 404  # never from the workspace's own origin
    assert Client().get(path[:-3] + "xx/", headers={"Host": "files.testserver"}).status_code == 404
    # Without an access check passed first there is no link at all.
    assert Client().get(f"/workspace/attachments/{attachment.pk}/").status_code == 404
