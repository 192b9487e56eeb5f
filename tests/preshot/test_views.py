"""Managers write the rules in the workspace (questions in both languages); operators cannot."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from chat.models import Operator
from preshot.actions import do_record_event
from preshot.models import Rule

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def client_for(operator: Operator) -> Client:
    client = Client()
    client.force_login(operator.user)
    return client


def rule_form(**overrides: object) -> dict[str, object]:
    form: dict[str, object] = {
        "statuses": ["shipped", "delivered"],
        "counts_from": "order",
        "min_days": "2",
        "max_days": "6",
        "article_key": "track-order",
        "question_en": "Where is my <b>parcel</b>?",
        "question_ru": "Где моя посылка?",
        "action": "track",
        "priority": "300",
        "active": "on",
        "notify": "on",
    }
    form.update(overrides)
    return form


def test_operators_cannot_see_or_change_the_rules(make_operator: Callable[..., Operator]) -> None:
    anna = client_for(make_operator("Anna"))
    rule = Rule.objects.first()
    assert rule is not None
    before = list(Rule.objects.values())
    assert anna.get("/workspace/preshot/").status_code == 403
    assert anna.post("/workspace/preshot/new/", rule_form()).status_code == 403
    assert anna.post(f"/workspace/preshot/{rule.pk}/", rule_form()).status_code == 403
    assert anna.post(f"/workspace/preshot/{rule.pk}/delete/").status_code == 403
    assert list(Rule.objects.values()) == before


def test_a_manager_adds_edits_and_deletes_a_rule(make_operator: Callable[..., Operator]) -> None:
    maria = client_for(make_operator("Maria", is_manager=True))
    listing = maria.get("/workspace/preshot/")
    assert listing.status_code == 200
    assert "My parcel is late" in listing.content.decode() and "Посылка задерживается" in listing.content.decode()
    count = Rule.objects.count()
    saved = maria.post("/workspace/preshot/new/", rule_form())
    assert saved.status_code == 302 and Rule.objects.count() == count + 1
    rule = Rule.objects.order_by("-pk").first()
    assert rule is not None
    assert (rule.statuses, rule.min_days, rule.max_days, rule.action) == (["shipped", "delivered"], 2, 6, "track")
    assert rule.notify is True
    assert rule.question_en == "Where is my <b>parcel</b>?"  # stored exactly ...
    page = maria.get(f"/workspace/preshot/{rule.pk}/").content.decode()
    assert "&lt;b&gt;parcel&lt;/b&gt;" in page and "<b>parcel</b>" not in page  # ... shown escaped
    maria.post(f"/workspace/preshot/{rule.pk}/", rule_form(max_days="", active="", notify=""))
    rule.refresh_from_db()
    assert rule.max_days is None and rule.active is False and rule.notify is False
    assert maria.post(f"/workspace/preshot/{rule.pk}/delete/").status_code == 302
    assert not Rule.objects.filter(pk=rule.pk).exists()


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("statuses", [], "at least one status"),
        ("statuses", ["lost"], "Unknown status"),
        ("min_days", "soon", "whole number"),
        ("max_days", "1", "before the first"),
        ("article_key", "Track Order!", "lower-case"),
        ("question_ru", "  ", "Write the question"),
        ("question_en", "x" * 201, "At most 200"),
        ("action", "refund_everything", "Unknown action"),
        ("priority", "1e9", "whole number"),
    ],
)
def test_bad_input_is_named_per_field_and_nothing_is_saved(
    make_operator: Callable[..., Operator], field: str, value: object, words: str
) -> None:
    maria = client_for(make_operator("Maria", is_manager=True))
    rule = Rule.objects.first()
    assert rule is not None
    before = list(Rule.objects.order_by("pk").values())
    for url in ("/workspace/preshot/new/", f"/workspace/preshot/{rule.pk}/"):
        response = maria.post(url, rule_form(**{field: value}))
        assert response.status_code == 400
        assert words in response.context["errors"][field]
    assert list(Rule.objects.order_by("pk").values()) == before


def test_the_russian_page_and_its_deflection_figures(make_operator: Callable[..., Operator]) -> None:
    maria = client_for(make_operator("Maria", is_manager=True, language="ru"))
    rule = Rule.objects.get(article_key="track-order", min_days=0)
    now = timezone.now() - timedelta(hours=1)
    for kind in ("shown", "shown", "opened"):
        do_record_event(kind, article_key="track-order", rule_id=rule.pk, language="ru", at=now)
    page = maria.get("/workspace/preshot/").content.decode()
    assert "Подсказки до чата" in page and "Доля решённых без чата" in page
    row = page.split(f'data-rule-id="{rule.pk}"')[1].split("</tr>")[0]
    assert "<td>2</td>" in row and "50%" in row
