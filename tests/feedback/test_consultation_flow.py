"""Pressing "Stylist consultation": one consultation per shopper, the open general chat handed over, never orphaned."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection

from chat.actions import ReceivedMessage, do_operator_reply, do_start_consultation, do_submit_questionnaire
from chat.errors import ChatError
from chat.models import Conversation, Event, Message, Operator, Questionnaire
from connectors.bots import start_consultation
from tests.feedback.conftest import online
from tests.feedback.test_consultation import answers, as_post

pytestmark = [pytest.mark.django_db(transaction=True)]


def transcript(conversation_id: int) -> list[tuple[str, str]]:
    return list(
        Message.objects.filter(conversation_id=conversation_id, is_note=False)
        .order_by("id")
        .values_list("author_kind", "text")
    )


@pytest.mark.embedded
def test_the_general_chat_moves_to_the_stylist_with_its_history(
    make_operator: Callable[..., Operator], shopper_writes: Callable[..., ReceivedMessage]
) -> None:
    anna = online(make_operator("Anna"))
    general = shopper_writes("v-move", "Do you have this dress in blue?").conversation.pk
    do_operator_reply(conversation_id=general, operator_id=anna.pk, text="Let me ask our stylist.")

    consultation = do_start_consultation(connector="widget", sender_id="v-move", language="en")

    assert consultation.conversation.pk == general and not consultation.created
    chat = Conversation.objects.select_related("queue").get(pk=general)
    assert (chat.queue.slug, chat.state, chat.operator_id) == ("stylist", "queued", None)
    assert transcript(general) == [
        ("shopper", "Do you have this dress in blue?"),
        ("operator", "Let me ask our stylist."),
        ("system", "This chat has moved to the stylist consultation: a stylist will continue it here."),
    ]
    anna.refresh_from_db()
    assert anna.active_count == 0
    removed = Event.objects.get(audience=f"operator.{anna.pk}", kind="conversation.removed")
    assert removed.payload == {"conversation_id": general, "why": "consultation"}
    # Anna can no longer write into a chat the shopper has left for the stylist ("Sent" into nowhere).
    with pytest.raises(ChatError):
        do_operator_reply(conversation_id=general, operator_id=anna.pk, text="Still there?")

    sofia = online(make_operator("Sofia", skills=["stylist"]))
    chat.refresh_from_db()
    assert (chat.state, chat.operator_id) == ("active", sofia.pk)
    assert Conversation.objects.count() == 1


@pytest.mark.embedded
def test_the_hand_over_line_is_in_the_shoppers_language(shopper_writes: Callable[..., ReceivedMessage]) -> None:
    general = shopper_writes("v-ru", "Здравствуйте", language="ru").conversation.pk
    do_start_consultation(connector="widget", sender_id="v-ru", language="ru")
    assert transcript(general)[-1] == ("system", "Чат передан на консультацию стилиста: стилист продолжит его здесь.")


@pytest.mark.embedded
def test_pressing_again_after_submitting_keeps_the_one_consultation_and_its_answers(queues: Any) -> None:
    first = do_start_consultation(connector="telegram", sender_id="tg-7", language="en").conversation.pk
    do_submit_questionnaire(conversation_id=first, data=as_post(answers()))

    reply = start_consultation("telegram", "tg-7", "tg-7", "", "en")

    assert Conversation.objects.count() == 1
    assert reply.startswith("The stylist already has your questionnaire")
    stored = Questionnaire.objects.get(conversation_id=first)
    assert stored.answers["height_cm"] == 168 and stored.submitted_at is not None


def race(action: Callable[[], Any], times: int) -> list[Any]:
    """``action`` in ``times`` threads at once, each on its own database connection."""
    start = threading.Barrier(times)
    outcomes: list[Any] = [None] * times

    def run(n: int) -> None:
        try:
            start.wait()
            outcomes[n] = action()
        except Exception as exc:
            outcomes[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite lets one writer in at a time: no race to run")
@pytest.mark.parametrize("with_general_chat", [False, True])
def test_presses_racing_from_every_tab_make_one_consultation(
    make_operator: Callable[..., Operator], shopper_writes: Callable[..., ReceivedMessage], with_general_chat: bool
) -> None:
    anna = online(make_operator("Anna"))
    for round_no in range(5):
        sender = f"v-race-{round_no}"
        if with_general_chat:
            shopper_writes(sender, "hello")
        outcomes = race(partial(do_start_consultation, connector="widget", sender_id=sender), 6)

        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        assert len({o.conversation.pk for o in outcomes}) == 1
        chats = Conversation.objects.filter(contact__identities__external_id=sender)
        assert [(c.queue.slug, c.state) for c in chats] == [("stylist", "queued")]
        assert sum(o.created for o in outcomes) == (0 if with_general_chat else 1)
        handed = Message.objects.filter(conversation__in=chats, author_kind="system").count()
        assert handed == (1 if with_general_chat else 0)
    anna.refresh_from_db()
    assert anna.active_count == 0
