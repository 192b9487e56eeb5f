"""The stylist consultation: a conversation in the stylist queue, and its questionnaire."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from chat.actions import do_close, do_start_consultation, do_submit_questionnaire
from chat.errors import InvalidForm, NotFound, WrongState
from chat.models import Conversation, Event, Message, Operator, Questionnaire
from tests.feedback.conftest import online

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def answers(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "height_cm": "168",
        "size_top": "M",
        "size_bottom": "44",
        "size_shoes": "38.5",
        "body_shape": "pear",
        "styles": ["casual", "minimal"],
        "colours": "navy, beige",
        "occasion": "work",
        "budget_from": "5000",
        "budget_to": "20000",
        "notes": "No <script>wool</script>, please",
    }
    data.update(overrides)
    return data


def as_post(data: dict[str, Any]) -> Any:
    from django.utils.datastructures import MultiValueDict

    return MultiValueDict({k: v if isinstance(v, list) else [v] for k, v in data.items()})


def test_consultation_goes_only_to_a_stylist(make_operator: Callable[..., Operator], queues) -> None:
    general = online(make_operator("Gena"))
    consultation = do_start_consultation(connector="widget", sender_id="v-style", language="en")
    conversation = Conversation.objects.select_related("queue").get(pk=consultation.conversation.pk)
    assert conversation.queue.slug == "stylist"
    assert conversation.state == "queued"  # Gena is free but has no stylist skill

    stylist = online(make_operator("Sofia", skills=["stylist"]))
    conversation.refresh_from_db()
    assert (conversation.state, conversation.operator_id) == ("active", stylist.pk)
    general.refresh_from_db()
    assert general.active_count == 0


def test_pressing_consultation_twice_keeps_one_open_consultation(queues) -> None:
    first = do_start_consultation(connector="widget", sender_id="v-twice")
    second = do_start_consultation(connector="widget", sender_id="v-twice")
    assert first.created and not second.created
    assert first.conversation.pk == second.conversation.pk
    assert Conversation.objects.count() == 1


def test_submitted_questionnaire_reaches_the_stylist(make_operator, queues) -> None:
    stylist = online(make_operator("Sofia", skills=["stylist"]))
    conversation_id = do_start_consultation(connector="widget", sender_id="v-form").conversation.pk
    photo = SimpleUploadedFile("me.png", PNG, content_type="image/png")
    do_submit_questionnaire(conversation_id=conversation_id, data=as_post(answers()), files={"photo": photo})

    stored = Questionnaire.objects.get(conversation_id=conversation_id)
    assert stored.answers["height_cm"] == 168
    assert stored.answers["size_shoes"] == "38.5"
    assert stored.answers["styles"] == ["casual", "minimal"]
    assert stored.answers["notes"] == "No <script>wool</script>, please"
    # A random name: neither the conversation id nor the time can lead anyone to it.
    assert re.fullmatch(r"questionnaires/[0-9a-f]{32}\.png", stored.photo.name or "")
    assert stored.submitted_at is not None

    note = Message.objects.get(conversation_id=conversation_id)
    assert note.is_note and note.author_kind == "system"
    event = Event.objects.get(audience=f"operator.{stylist.pk}", kind="questionnaire.submitted")
    assert event.payload["answers"]["occasion"] == "work"
    assert {"key": "occasion", "label": "Occasion", "value": "Work"} in event.payload["rows"]
    assert event.payload["photo_url"] == f"/workspace/questionnaires/{conversation_id}/photo/"


def test_a_correction_replaces_the_answers_and_keeps_the_photo(queues) -> None:
    conversation_id = do_start_consultation(connector="widget", sender_id="v-fix").conversation.pk
    photo = SimpleUploadedFile("me.png", PNG, content_type="image/png")
    do_submit_questionnaire(conversation_id=conversation_id, data=as_post(answers()), files={"photo": photo})
    do_submit_questionnaire(conversation_id=conversation_id, data=as_post(answers(size_top="L")))
    stored = Questionnaire.objects.get(conversation_id=conversation_id)
    assert stored.answers["size_top"] == "L"
    assert stored.photo
    assert Event.objects.filter(kind="questionnaire.submitted").count() == 2


@pytest.mark.parametrize(
    ("field", "value", "english", "russian"),
    [
        ("height_cm", "", "Please fill in this field.", "Заполните это поле."),
        ("height_cm", "2", "Enter your height in cm, from 100 to 230.", "Укажите рост в см, от 100 до 230."),
        ("height_cm", "tall", "Enter your height in cm, from 100 to 230.", "Укажите рост в см, от 100 до 230."),
        ("size_shoes", "70", "Enter an EU shoe size", "Укажите размер обуви EU"),
        ("styles", [], "Choose at least one style.", "Выберите хотя бы один стиль."),
        ("styles", ["grunge"], "Choose one of the options.", "Выберите один из вариантов."),
        ("occasion", "", "Please fill in this field.", "Заполните это поле."),
        ("budget_to", "1000", "The upper budget must not be below the lower one.", "Верхняя граница бюджета"),
        ("notes", "x" * 2001, "Keep the text under 2,000 characters.", "Текст: не больше 2 000 символов."),
        ("colours", "", "Please fill in this field.", "Заполните это поле."),
    ],
)
def test_mistakes_are_refused_field_by_field_in_both_languages(
    queues, field: str, value: Any, english: str, russian: str
) -> None:
    conversation_id = do_start_consultation(connector="widget", sender_id=f"v-{field}").conversation.pk
    for language, expected in (("en", english), ("ru", russian)):
        with pytest.raises(InvalidForm) as refused:
            do_submit_questionnaire(
                conversation_id=conversation_id, data=as_post(answers(**{field: value})), language=language
            )
        assert list(refused.value.errors) == [field]
        assert refused.value.errors[field][0].startswith(expected)
    assert not Questionnaire.objects.exists()
    assert not Message.objects.exists()


def test_optional_fields_may_be_left_out(queues) -> None:
    conversation_id = do_start_consultation(connector="widget", sender_id="v-min").conversation.pk
    data = answers(body_shape="", budget_from="", notes="")
    do_submit_questionnaire(conversation_id=conversation_id, data=as_post(data))
    stored = Questionnaire.objects.get()
    assert (stored.answers["body_shape"], stored.answers["budget_from"], stored.photo.name) == ("", 0, "")


def test_a_photo_must_be_a_real_image(queues) -> None:
    conversation_id = do_start_consultation(connector="widget", sender_id="v-photo", language="ru").conversation.pk
    fake = SimpleUploadedFile("me.png", b"<?php evil(); ?>", content_type="image/png")
    with pytest.raises(InvalidForm) as refused:
        do_submit_questionnaire(conversation_id=conversation_id, data=as_post(answers()), files={"photo": fake})
    assert refused.value.errors == {"photo": ["Фото должно быть в формате JPEG, PNG или WebP."]}
    assert not Questionnaire.objects.exists()


def test_a_photo_over_the_limit_is_refused(queues) -> None:
    conversation_id = do_start_consultation(connector="widget", sender_id="v-big").conversation.pk
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * 2000, content_type="image/png")
    with override_settings(SWITCHBOARD_QUESTIONNAIRE_PHOTO_MAX_BYTES=1000), pytest.raises(InvalidForm) as refused:
        do_submit_questionnaire(conversation_id=conversation_id, data=as_post(answers()), files={"photo": big})
    assert refused.value.errors == {"photo": ["The photo is larger than 0.001 MB."]}
    assert not Questionnaire.objects.exists()


def test_only_an_open_consultation_takes_a_questionnaire(shopper_writes, reason) -> None:
    ordinary = shopper_writes("v-plain").conversation.pk
    with pytest.raises(WrongState):
        do_submit_questionnaire(conversation_id=ordinary, data=as_post(answers()))
    consultation = do_start_consultation(connector="widget", sender_id="v-late").conversation.pk
    do_close(conversation_id=consultation, by="shopper")
    with pytest.raises(WrongState) as refused:
        do_submit_questionnaire(conversation_id=consultation, data=as_post(answers()))
    assert "consultation is closed" in refused.value.message
    with pytest.raises(NotFound):
        do_submit_questionnaire(conversation_id=987_654, data=as_post(answers()))
    assert not Questionnaire.objects.exists()
