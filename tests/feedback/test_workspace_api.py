"""The workspace's view of feedback: the customer panel's rating and answers, the managers' review list."""

from __future__ import annotations

import pytest
from django.test import Client

from chat.actions import do_rate_conversation, do_start_consultation, do_submit_questionnaire
from chat.models import Operator
from tests.feedback.conftest import online
from tests.feedback.test_consultation import answers, as_post

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]


def signed_in(operator: Operator) -> Client:
    client = Client()
    client.force_login(operator.user)
    return client


def test_the_stylist_sees_the_answers_in_their_language(make_operator) -> None:
    stylist = online(make_operator("Sofia", skills=["stylist"], language="ru"))
    conversation_id = do_start_consultation(connector="widget", sender_id="v-panel").conversation.pk
    panel = signed_in(stylist).get(f"/api/conversations/{conversation_id}/feedback").json()
    assert (panel["is_consultation"], panel["questionnaire"], panel["rating"]) == (True, None, None)

    do_submit_questionnaire(conversation_id=conversation_id, data=as_post(answers()))
    panel = signed_in(stylist).get(f"/api/conversations/{conversation_id}/feedback").json()
    rows = {row["key"]: (row["label"], row["value"]) for row in panel["questionnaire"]["rows"]}
    assert rows["occasion"] == ("Повод", "Работа")
    assert rows["styles"] == ("Любимые стили", "Повседневный, Минимализм")
    assert rows["notes"][1] == "No <script>wool</script>, please"  # raw: the page renders it as text


def test_an_operator_cannot_read_another_operators_chat_feedback(make_operator, answered_and_closed) -> None:
    chat = answered_and_closed("v-other")
    stranger = make_operator("Stranger")
    assert signed_in(stranger).get(f"/api/conversations/{chat.conversation.pk}/feedback").status_code == 403
    panel = signed_in(chat.operator).get(f"/api/conversations/{chat.conversation.pk}/feedback").json()
    assert panel["rating"] is None


def test_managers_review_low_ratings_and_others_may_not(make_operator, answered_and_closed) -> None:
    low = answered_and_closed("v-low")
    high = answered_and_closed("v-high")
    do_rate_conversation(conversation_id=low.conversation.pk, connector="widget", sender_id="v-low", stars=1)
    do_rate_conversation(conversation_id=high.conversation.pk, connector="widget", sender_id="v-high", stars=5)
    manager = signed_in(make_operator("Maria", is_manager=True))

    flagged = manager.get("/api/ratings/flagged").json()
    assert [(r["conversation_id"], r["stars"], r["operator_name"]) for r in flagged] == [
        (low.conversation.pk, 1, low.operator.display_name)
    ]
    assert signed_in(low.operator).get("/api/ratings/flagged").status_code == 403
    assert signed_in(low.operator).post(f"/api/ratings/{low.conversation.pk}/review").status_code == 403

    assert manager.post(f"/api/ratings/{low.conversation.pk}/review").status_code == 200
    assert manager.get("/api/ratings/flagged").json() == []
    panel = signed_in(low.operator).get(f"/api/conversations/{low.conversation.pk}/feedback").json()
    assert (panel["rating"]["stars"], panel["rating"]["flagged"]) == (1, True)
