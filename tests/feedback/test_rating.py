"""The post-chat rating: one per conversation, only by its shopper, 1-5, closed chats, within the window."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import override_settings

from chat.actions import (
    InboundMessage,
    do_close,
    do_comment_rating,
    do_operator_reply,
    do_rate_conversation,
    do_review_rating,
    do_take_rating_comment,
    do_transfer,
)
from chat.errors import AlreadyRated, Forbidden, InvalidInput, WrongState
from chat.models import Event, Rating
from tests.feedback.conftest import ClosedChat, online

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

Make = Callable[..., ClosedChat]


def rate(chat: ClosedChat, stars: object, sender_id: str | None = None, comment: str = "") -> Rating:
    return do_rate_conversation(
        conversation_id=chat.conversation.pk,
        connector=chat.connector,
        sender_id=sender_id or chat.sender_id,
        stars=stars,
        comment=comment,
    )


def test_rating_is_stored_and_credited_to_the_operator_who_replied(answered_and_closed: Make) -> None:
    chat = answered_and_closed("v-1")
    rating = rate(chat, 5, comment="Quick and kind <b>thanks</b>")
    stored = Rating.objects.get(conversation=chat.conversation)
    assert (stored.stars, stored.operator_id, stored.flagged) == (5, chat.operator.pk, False)
    assert stored.comment == "Quick and kind <b>thanks</b>"  # exactly as written
    assert stored.commented_at is not None
    assert rating.pk == stored.pk


def test_credit_goes_to_the_last_replier_not_to_whoever_closed(make_operator, shopper_writes, reason) -> None:
    anna = online(make_operator("Anna"))
    conversation_id = shopper_writes("v-2", "My parcel?").conversation.pk
    do_operator_reply(conversation_id=conversation_id, operator_id=anna.pk, text="Checking")
    boris = online(make_operator("Boris"))
    do_transfer(conversation_id=conversation_id, actor_operator_id=anna.pk, to_operator_id=boris.pk)
    do_close(conversation_id=conversation_id, operator_id=boris.pk, reason_id=reason.pk)

    rating = do_rate_conversation(conversation_id=conversation_id, connector="widget", sender_id="v-2", stars=4)
    assert rating.operator_id == anna.pk


@pytest.mark.parametrize("stars", [1, 2])
def test_one_or_two_stars_flag_the_chat_for_managers(answered_and_closed: Make, stars: int) -> None:
    chat = answered_and_closed(f"v-low-{stars}")
    rating = rate(chat, stars)
    assert rating.flagged
    announced = Event.objects.filter(audience="managers", kind="conversation.rated").get()
    assert announced.payload["flagged"] is True
    assert announced.payload["stars"] == stars
    assert Event.objects.filter(audience=f"operator.{chat.operator.pk}", kind="conversation.rated").exists()


def test_three_stars_and_more_are_not_flagged(answered_and_closed: Make) -> None:
    chat = answered_and_closed("v-3")
    assert not rate(chat, 3).flagged


def test_a_second_press_is_politely_refused_and_changes_nothing(answered_and_closed: Make) -> None:
    chat = answered_and_closed("v-double")
    rate(chat, 5)
    with pytest.raises(AlreadyRated) as refused:
        rate(chat, 1)
    assert refused.value.message == "Thank you, this conversation is already rated."
    stored = Rating.objects.get(conversation=chat.conversation)
    assert (stored.stars, stored.flagged) == (5, False)
    assert Event.objects.filter(kind="conversation.rated", audience="managers").count() == 1


def test_already_rated_is_said_in_russian_to_a_russian_shopper(answered_and_closed: Make) -> None:
    chat = answered_and_closed("v-ru", language="ru")
    rate(chat, 4)
    with pytest.raises(AlreadyRated) as refused:
        rate(chat, 4)
    assert refused.value.message == "Спасибо, этот чат уже оценён."


def test_another_shopper_cannot_rate(answered_and_closed: Make, shopper_writes) -> None:
    chat = answered_and_closed("v-owner")
    shopper_writes("v-stranger", "hi")  # a real, different shopper
    with pytest.raises(Forbidden) as refused:
        rate(chat, 1, sender_id="v-stranger")
    assert "Only the person who wrote" in refused.value.message
    with pytest.raises(Forbidden):
        rate(chat, 1, sender_id="nobody-ever-wrote")
    assert not Rating.objects.exists()


def test_same_user_id_on_another_connector_is_another_shopper(answered_and_closed: Make, shopper_writes) -> None:
    chat = answered_and_closed("12345")
    shopper_writes("12345", "hi", connector="vk")
    with pytest.raises(Forbidden):
        do_rate_conversation(conversation_id=chat.conversation.pk, connector="vk", sender_id="12345", stars=5)
    assert not Rating.objects.exists()


@pytest.mark.parametrize("stars", [0, 6, -1, "five", None, True, 4.5])
def test_stars_outside_one_to_five_are_refused(answered_and_closed: Make, stars: object) -> None:
    chat = answered_and_closed(f"v-bad-{stars}")
    with pytest.raises(InvalidInput) as refused:
        rate(chat, stars)
    assert refused.value.message == "Choose from 1 to 5 stars."
    assert not Rating.objects.exists()


def test_an_open_chat_cannot_be_rated(make_operator, shopper_writes) -> None:
    operator = online(make_operator())
    conversation_id = shopper_writes("v-open").conversation.pk
    do_operator_reply(conversation_id=conversation_id, operator_id=operator.pk, text="Hello")
    with pytest.raises(WrongState) as refused:
        do_rate_conversation(conversation_id=conversation_id, connector="widget", sender_id="v-open", stars=5)
    assert "still open" in refused.value.message
    assert not Rating.objects.exists()


def test_a_chat_nobody_answered_has_nothing_to_rate(shopper_writes) -> None:
    conversation_id = shopper_writes("v-left").conversation.pk
    do_close(conversation_id=conversation_id, by="shopper")
    with pytest.raises(WrongState) as refused:
        do_rate_conversation(conversation_id=conversation_id, connector="widget", sender_id="v-left", stars=5)
    assert "no operator answered" in refused.value.message


def test_ratings_after_the_window_are_refused(answered_and_closed: Make) -> None:
    chat = answered_and_closed("v-late")
    with override_settings(SWITCHBOARD_RATING_WINDOW_DAYS=0), pytest.raises(WrongState) as refused:
        rate(chat, 5)
    assert "more than 0 days ago" in refused.value.message
    assert not Rating.objects.exists()
    rate(chat, 5)  # the default seven days: still open


def test_close_asks_for_a_rating_on_the_shoppers_connector(
    answered_and_closed: Make, recorded_prompts: list[tuple[str, int]], shopper_writes
) -> None:
    chat = answered_and_closed("v-prompt")
    assert recorded_prompts == [("widget", chat.conversation.pk)]

    unanswered = shopper_writes("v-unanswered").conversation.pk
    do_close(conversation_id=unanswered, by="shopper")
    assert recorded_prompts == [("widget", chat.conversation.pk)]  # nothing to rate there


def test_a_failing_prompt_does_not_undo_the_close(answered_and_closed: Make, monkeypatch) -> None:
    from dataclasses import replace

    from chat import registry

    def broken(conversation_id: int) -> None:
        raise ConnectionError("connector down")

    monkeypatch.setitem(registry._entries, "widget", replace(registry.entry_for("widget"), prompt_rating=broken))
    chat = answered_and_closed("v-broken")
    assert chat.conversation.state == "closed"
    rate(chat, 5)


def test_the_comment_comes_once_after_the_stars(answered_and_closed: Make) -> None:
    chat = answered_and_closed("v-comment")
    with pytest.raises(WrongState):  # stars first
        do_comment_rating(conversation_id=chat.conversation.pk, connector="widget", sender_id="v-comment", comment="x")
    rate(chat, 2)
    do_comment_rating(
        conversation_id=chat.conversation.pk, connector="widget", sender_id="v-comment", comment="Too slow"
    )
    with pytest.raises(AlreadyRated):
        do_comment_rating(
            conversation_id=chat.conversation.pk, connector="widget", sender_id="v-comment", comment="Again"
        )
    with pytest.raises(Forbidden):
        do_comment_rating(conversation_id=chat.conversation.pk, connector="widget", sender_id="other", comment="x")
    assert Rating.objects.get().comment == "Too slow"
    assert Event.objects.filter(audience="managers", kind="rating.commented").count() == 1


def test_next_message_after_the_stars_is_the_comment_then_messages_are_messages(answered_and_closed: Make) -> None:
    chat = answered_and_closed("v-next")

    def says(text: str, sender: str = "v-next") -> Rating | None:
        return do_take_rating_comment(InboundMessage(connector="widget", sender_id=sender, text=text))

    assert says("Before rating") is None
    rate(chat, 4)
    assert says("/start") is None  # commands are never comments
    assert says("Nice", sender="someone-else") is None
    assert says("Nice operator") is not None
    assert says("Now a new question") is None
    assert Rating.objects.get().comment == "Nice operator"


def test_comment_after_the_comment_window_is_a_message(answered_and_closed: Make) -> None:
    chat = answered_and_closed("v-slow")
    rate(chat, 4)
    with override_settings(SWITCHBOARD_RATING_COMMENT_MINUTES=0):
        assert do_take_rating_comment(InboundMessage(connector="widget", sender_id="v-slow", text="Hi")) is None


def test_only_managers_review_flagged_ratings(answered_and_closed: Make, make_operator) -> None:
    chat = answered_and_closed("v-review")
    rate(chat, 1)
    with pytest.raises(Forbidden):
        do_review_rating(conversation_id=chat.conversation.pk, operator_id=chat.operator.pk)
    manager = make_operator("Maria", is_manager=True)
    assert do_review_rating(conversation_id=chat.conversation.pk, operator_id=manager.pk).reviewed_at is not None
    assert Event.objects.filter(audience="managers", kind="rating.reviewed").count() == 1
