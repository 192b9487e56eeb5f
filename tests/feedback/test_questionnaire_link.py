"""The questionnaire page: only through a signed link for one conversation, and only until it expires."""

from __future__ import annotations

import time

import pytest
from django.core import signing
from django.test import Client

from chat.actions import do_close, do_start_consultation
from chat.links import questionnaire_token
from chat.models import Questionnaire
from tests.feedback.test_consultation import answers
from workspace.questionnaire.links import questionnaire_path

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


@pytest.fixture
def consultation_id(queues) -> int:
    return do_start_consultation(connector="telegram", sender_id="777", language="ru").conversation.pk


def test_the_link_opens_the_form_in_the_shoppers_language(client: Client, consultation_id: int) -> None:
    page = client.get(questionnaire_path(consultation_id))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Анкета для стилиста" in html
    assert "Рост, см" in html
    assert 'name="viewport"' in html  # made for phones
    english = client.get(questionnaire_path(consultation_id) + "?lang=en").content.decode()
    assert "Height, cm" in english


def test_a_valid_post_is_stored_and_thanked(client: Client, consultation_id: int) -> None:
    page = client.post(questionnaire_path(consultation_id), answers())
    assert page.status_code == 200
    assert "стилист получил анкету" in page.content.decode()
    assert Questionnaire.objects.get(conversation_id=consultation_id).answers["colours"] == "navy, beige"
    again = client.get(questionnaire_path(consultation_id)).content.decode()
    assert "Ответы можно исправить" in again
    assert 'value="navy, beige"' in again


def test_mistakes_come_back_marked_and_nothing_is_stored(client: Client, consultation_id: int) -> None:
    page = client.post(questionnaire_path(consultation_id), answers(height_cm="abc", budget_to=""))
    assert page.status_code == 400
    html = page.content.decode()
    assert "Исправьте отмеченные поля." in html
    assert "Укажите рост в см, от 100 до 230." in html
    assert 'value="navy, beige"' in html  # what was typed is kept
    assert not Questionnaire.objects.exists()


def test_shopper_text_is_escaped_on_the_page(client: Client, consultation_id: int) -> None:
    client.post(questionnaire_path(consultation_id), answers(colours='"><script>alert(1)</script>'))
    html = client.get(questionnaire_path(consultation_id)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_a_forged_link_is_refused(client: Client, consultation_id: int) -> None:
    token = questionnaire_token(consultation_id)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (tampered, "not-a-token", signing.dumps({"c": consultation_id})):
        page = client.get(f"/connectors/questionnaire/{bad}/")
        assert page.status_code == 403
        assert "Ссылка недействительна" in page.content.decode() or "not valid" in page.content.decode()
    posted = client.post(f"/connectors/questionnaire/{tampered}/", answers())
    assert posted.status_code == 403
    assert not Questionnaire.objects.exists()


def test_a_link_made_for_another_conversation_does_not_open_this_one(client: Client, queues) -> None:
    mine = do_start_consultation(connector="vk", sender_id="1").conversation.pk
    theirs = do_start_consultation(connector="vk", sender_id="2").conversation.pk
    token = questionnaire_token(mine)
    swapped = token.replace(
        signing.b64_encode(f'{{"c":{mine}}}'.encode()).decode(),
        signing.b64_encode(f'{{"c":{theirs}}}'.encode()).decode(),
    )
    assert swapped != token
    assert client.post(f"/connectors/questionnaire/{swapped}/", answers()).status_code == 403
    assert client.post(questionnaire_path(mine), answers()).status_code == 200
    assert list(Questionnaire.objects.values_list("conversation_id", flat=True)) == [mine]


def test_an_expired_link_is_refused(client: Client, consultation_id: int, settings, monkeypatch) -> None:
    four_days_ago = time.time() - 4 * 24 * 3600
    monkeypatch.setattr("django.core.signing.time.time", lambda: four_days_ago)
    old_path = questionnaire_path(consultation_id)
    monkeypatch.undo()
    page = client.get(old_path)
    assert page.status_code == 410
    assert "Срок действия ссылки истёк" in page.content.decode()
    assert client.post(old_path, answers()).status_code == 410
    settings.SWITCHBOARD_QUESTIONNAIRE_LINK_HOURS = 24 * 5
    assert client.get(old_path).status_code == 200  # the setting decides how long a link lives
    assert not Questionnaire.objects.exists()


def test_a_closed_consultation_takes_no_more_answers(client: Client, consultation_id: int) -> None:
    do_close(conversation_id=consultation_id, by="shopper")
    page = client.post(questionnaire_path(consultation_id), answers())
    assert page.status_code == 410
    assert "консультация завершена" in page.content.decode()
    assert not Questionnaire.objects.exists()


def test_the_widget_may_frame_the_form(client: Client, consultation_id: int) -> None:
    page = client.get(questionnaire_path(consultation_id))
    assert "X-Frame-Options" not in page.headers
