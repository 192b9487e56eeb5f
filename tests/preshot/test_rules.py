"""The shipped rules pick the right questions for every stage (Back Market's day 0, 3, 5, 7, 8, 9+),
in English and in Russian, with the actions the order's status still allows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import translation

from orders.models import Order
from preshot.actions import RuleInput, do_save_rule
from preshot.models import Rule
from preshot.selectors import suggestions_for, suggestions_for_contact
from tests.preshot.conftest import NOW, make_order

pytestmark = [pytest.mark.django_db, pytest.mark.embedded, pytest.mark.usefixtures("articles")]

ACTION_URLS = {
    "change_address": "https://shop.example/orders/{number}/address",
    "cancel": "https://shop.example/orders/{number}/cancel",
    "start_return": "https://shop.example/orders/{number}/return",
    "report_missing": "https://shop.example/orders/{number}/missing",
    "refund_status": "https://shop.example/orders/{number}/refund",
}

# (status, days since ordering / since the status began, the articles offered in order, their actions)
STAGES: list[tuple[str, int, list[str], list[str | None]]] = [
    ("placed", 0, ["payment-failed", "change-address", "cancel-order"], [None, "change_address", "cancel"]),
    ("paid", 0, ["change-address", "cancel-order", "delivery-times"], ["change_address", "cancel", None]),
    ("paid", 3, ["delivery-times", "cancel-order"], [None, "cancel"]),
    ("shipped", 3, ["track-order", "delivery-times"], ["track", None]),
    ("shipped", 5, ["track-order", "delivery-times"], ["track", None]),
    ("shipped", 7, ["track-order", "delivery-times"], ["track", None]),
    ("shipped", 8, ["track-order", "contact-us"], ["track", None]),
    ("shipped", 12, ["track-order", "contact-us"], ["track", None]),
    ("delivered", 0, ["missing-item", "damaged-item", "return-item"], ["report_missing", None, "start_return"]),
    ("delivered", 9, ["return-item", "exchange-size", "size-guide"], ["start_return", None, None]),
    ("return_requested", 2, ["return-item", "refund-status"], [None, "refund_status"]),
    ("returned", 3, ["refund-status", "contact-us"], ["refund_status", None]),
    ("returned", 9, ["refund-status", "contact-us"], ["refund_status", None]),
    ("refunded", 1, ["refund-status", "contact-us"], ["refund_status", None]),
    ("cancelled", 0, ["refund-status", "contact-us"], ["refund_status", None]),
]

QUESTIONS = {
    ("shipped", 8, "en"): "My parcel is late",
    ("shipped", 8, "ru"): "Посылка задерживается",
    ("returned", 9, "en"): "My refund is late",
    ("returned", 9, "ru"): "Деньги за возврат задерживаются",
}


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize(("status", "days", "keys", "actions"), STAGES, ids=[f"{s}-day{d}" for s, d, *_ in STAGES])
@override_settings(SWITCHBOARD_SHOP_ACTION_URLS=ACTION_URLS)
def test_each_stage_offers_its_likeliest_questions(
    status: str, days: int, keys: list[str], actions: list[str | None], language: str
) -> None:
    order = make_order(status, days, tracking_url="https://carrier.example/t/123")
    offered = suggestions_for(order, language, now=NOW)
    assert [s.answer.key for s in offered.suggestions] == keys
    assert [s.action.kind if s.action else None for s in offered.suggestions] == actions
    # The answer is the article in the shopper's language, and so is the question.
    assert {s.answer.language for s in offered.suggestions} == {language}
    ru_text = any("\u0400" <= ch <= "\u04ff" for s in offered.suggestions for ch in s.question + s.answer.title)
    assert ru_text == (language == "ru")
    if (status, days, language) in QUESTIONS:
        assert offered.suggestions[0].question == QUESTIONS[(status, days, language)]


@override_settings(SWITCHBOARD_SHOP_ACTION_URLS=ACTION_URLS)
def test_action_links_name_the_order_and_track_uses_the_carriers_link() -> None:
    paid = make_order("paid", 0, number="R-7")
    [address, cancel, _] = suggestions_for(paid, "en", now=NOW).suggestions
    assert address.action is not None and address.action.url == "https://shop.example/orders/R-7/address"
    assert cancel.action is not None and cancel.action.url == "https://shop.example/orders/R-7/cancel"
    shipped = make_order("shipped", 1, number="R-8", tracking_url="https://carrier.example/t/R-8")
    track = suggestions_for(shipped, "en", now=NOW).suggestions[0]
    assert track.action is not None and track.action.url == "https://carrier.example/t/R-8"


def test_no_action_without_the_shops_page_or_a_tracking_link() -> None:
    shipped = make_order("shipped", 1)
    assert [s.action for s in suggestions_for(shipped, "en", now=NOW).suggestions] == [None, None]
    paid = make_order("paid", 0, number="A-2")
    assert [s.action for s in suggestions_for(paid, "ru", now=NOW).suggestions] == [None, None, None]


def test_a_rule_whose_article_is_missing_in_the_language_is_skipped() -> None:
    Rule.objects.all().delete()
    for key in ("no-such-article", "track-order"):
        do_save_rule(RuleInput(["shipped"], "order", 0, None, key, "Q", "В", priority=10 if key[0] == "n" else 0))
    offered = suggestions_for(make_order("shipped", 1), "ru", now=NOW)
    assert [s.answer.key for s in offered.suggestions] == ["track-order"]


def test_a_managers_rule_comes_first_by_priority_and_inactive_rules_are_not_offered() -> None:
    top = do_save_rule(RuleInput(["shipped"], "order", 0, 2, "size-guide", "Sizes?", "Размеры?", priority=500))
    assert suggestions_for(make_order("shipped", 1), "en", now=NOW).suggestions[0].question == "Sizes?"
    do_save_rule(RuleInput(["shipped"], "order", 0, 2, "size-guide", "Sizes?", "Размеры?", active=False), top.pk)
    assert "size-guide" not in [s.answer.key for s in suggestions_for(Order.objects.get(), "en", now=NOW).suggestions]


def test_the_shopper_sees_their_order_still_moving_rather_than_an_older_delivered_one() -> None:
    from chat.models import Contact

    olga = Contact.objects.create(name="Olga")
    make_order("delivered", 20, number="OLD", contact=olga)
    make_order("shipped", 2, number="NEW", contact=olga)
    offered = suggestions_for_contact([olga.pk], "en", now=NOW)
    assert offered is not None and offered.order.number == "NEW"
    assert suggestions_for_contact([Contact.objects.create().pk], "en", now=NOW) is None


# (hours past the carrier's promise: negative is before it, None is no promise; whether the order is
# late against it, i.e. the "late against the promise" rule comes first)
PROMISES: list[tuple[float | None, bool]] = [(None, False), (-30, False), (-0.5, False), (0.5, True), (26, True)]


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize(("hours_past", "late"), PROMISES, ids=[f"{h}h" for h, _ in PROMISES])
def test_a_shipped_order_past_the_carriers_promise_is_late_whatever_its_age(
    hours_past: float | None, late: bool, language: str
) -> None:
    promised = None if hours_past is None else NOW - timedelta(hours=hours_past)
    order = make_order("shipped", 2, promised_delivery_at=promised, tracking_url="https://carrier.example/t/1")
    offered = suggestions_for(order, language, now=NOW)
    first = offered.suggestions[0]
    question = {"en": "My parcel is late against the carrier's promise", "ru": "Посылка не пришла к обещанному сроку"}
    assert (first.question == question[language]) == late
    if late:
        assert first.answer.key == "late-parcel" and first.action is not None and first.action.kind == "track"
        assert first.answer.title == {"en": "Your parcel is late", "ru": "Посылка задерживается"}[language]
    else:
        assert "late-parcel" not in [s.answer.key for s in offered.suggestions]


def test_delivered_in_time_or_late_a_delivered_order_is_not_late_against_its_promise() -> None:
    order = make_order("delivered", 1, promised_delivery_at=NOW - timedelta(days=3))
    assert "late-parcel" not in [s.answer.key for s in suggestions_for(order, "en", now=NOW).suggestions]


def test_a_managers_promise_rule_counts_days_past_the_promise() -> None:
    Rule.objects.all().delete()
    rule = do_save_rule(
        RuleInput(["shipped"], "promised", 3, None, "contact-us", "Still nothing?", "Всё ещё нет?", priority=5)
    )
    with translation.override("en"):
        assert rule.get_counts_from_display() == "the promised delivery time passed"
    two_days = make_order("shipped", 5, "P-2", promised_delivery_at=NOW - timedelta(days=2, hours=1))
    three_days = make_order("shipped", 5, "P-3", promised_delivery_at=NOW - timedelta(days=3, hours=1))
    assert suggestions_for(two_days, "en", now=NOW).suggestions == []
    assert [s.question for s in suggestions_for(three_days, "en", now=NOW).suggestions] == ["Still nothing?"]
