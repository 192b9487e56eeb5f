"""The rules a new install starts with: Back Market's steps (order day 0, about 3, 5, 7, 8, then 9+)
and La Redoute's contact reasons (where is my order, change or cancel it, missing or damaged items,
returns, refunds, payment). Articles are named by the demo knowledge base's keys (kb/demo.py).

Each row: statuses, counts from ("order", "stage" or "promised"), from day, to day (None: no end), article key,
English question, Russian question, action, priority.
"""

from __future__ import annotations

from typing import Any

DEFAULT_RULES: list[tuple[Any, ...]] = [
    # Day 0 after ordering: the order can still change.
    (["placed"], "order", 0, None, "payment-failed", "My payment did not go through", "Оплата не прошла", "", 90),
    (
        ["placed", "paid"],
        "order",
        0,
        2,
        "change-address",
        "Can I change the delivery address?",
        "Можно ли изменить адрес доставки?",
        "change_address",
        80,
    ),
    (
        ["placed", "paid"],
        "order",
        0,
        2,
        "cancel-order",
        "How do I cancel my order?",
        "Как отменить заказ?",
        "cancel",
        70,
    ),
    (
        ["placed", "paid"],
        "order",
        0,
        None,
        "delivery-times",
        "When will my order arrive?",
        "Когда придёт заказ?",
        "",
        60,
    ),
    # About day 3 and later, not shipped yet: when does it leave, can I still cancel.
    (
        ["paid"],
        "order",
        3,
        None,
        "delivery-times",
        "Why hasn't my order shipped yet?",
        "Почему заказ ещё не отправлен?",
        "",
        85,
    ),
    (
        ["paid"],
        "order",
        3,
        None,
        "cancel-order",
        "Can I still cancel my order?",
        "Можно ли ещё отменить заказ?",
        "cancel",
        75,
    ),
    # Shipped, days 0-4 (about 3 and 5): where is it.
    (["shipped"], "order", 0, 4, "track-order", "Where is my parcel?", "Где моя посылка?", "track", 90),
    (["shipped"], "order", 0, 4, "delivery-times", "When will it be delivered?", "Когда доставят?", "", 70),
    # Shipped, days 5-7: the promise is near, the first worries.
    (["shipped"], "order", 5, 7, "track-order", "My parcel hasn't arrived yet", "Посылка ещё не пришла", "track", 90),
    (["shipped"], "order", 5, 7, "delivery-times", "How long does delivery take?", "Сколько идёт доставка?", "", 60),
    # Shipped and past the carrier's promised delivery time (when the shop sent one): late, whatever the day.
    (
        ["shipped"],
        "promised",
        0,
        None,
        "late-parcel",
        "My parcel is late against the carrier's promise",
        "Посылка не пришла к обещанному сроку",
        "track",
        97,
    ),
    # Shipped, day 8 and later: late against the usual promise.
    (["shipped"], "order", 8, None, "track-order", "My parcel is late", "Посылка задерживается", "track", 95),
    (
        ["shipped"],
        "order",
        8,
        None,
        "contact-us",
        "Talk to us about a late parcel",
        "Поговорить о задержке посылки",
        "",
        50,
    ),
    # Delivered: the first days are about what is (not) in the box.
    (
        ["delivered"],
        "stage",
        0,
        7,
        "missing-item",
        "An item is missing from my parcel",
        "В посылке не хватает товара",
        "report_missing",
        90,
    ),
    (["delivered"], "stage", 0, 7, "damaged-item", "An item arrived damaged", "Товар пришёл повреждённым", "", 80),
    (
        ["delivered"],
        "stage",
        0,
        None,
        "exchange-size",
        "It doesn't fit: can I exchange it?",
        "Не подошёл размер: можно обменять?",
        "",
        70,
    ),
    (
        ["delivered"],
        "stage",
        0,
        None,
        "return-item",
        "How do I return an item?",
        "Как вернуть товар?",
        "start_return",
        75,
    ),
    (
        ["delivered"],
        "stage",
        8,
        None,
        "size-guide",
        "Which size should I pick next time?",
        "Какой размер выбрать в следующий раз?",
        "",
        40,
    ),
    # Returns and refunds (9+ days is when "where is my money" starts).
    (
        ["return_requested"],
        "stage",
        0,
        None,
        "return-item",
        "How do I send my return?",
        "Как отправить возврат?",
        "",
        90,
    ),
    (
        ["return_requested", "returned"],
        "stage",
        0,
        None,
        "refund-status",
        "When will I get my refund?",
        "Когда вернут деньги?",
        "refund_status",
        80,
    ),
    (
        ["returned"],
        "stage",
        9,
        None,
        "refund-status",
        "My refund is late",
        "Деньги за возврат задерживаются",
        "refund_status",
        95,
    ),
    (
        ["refunded"],
        "stage",
        0,
        None,
        "refund-status",
        "I can't see my refund",
        "Не вижу возврат денег",
        "refund_status",
        90,
    ),
    (
        ["cancelled"],
        "stage",
        0,
        None,
        "refund-status",
        "When is my cancelled order refunded?",
        "Когда вернут деньги за отменённый заказ?",
        "refund_status",
        90,
    ),
    (["cancelled", "refunded", "returned"], "stage", 0, None, "contact-us", "Something else", "Другой вопрос", "", 10),
]

FIELDS = (
    "statuses",
    "counts_from",
    "min_days",
    "max_days",
    "article_key",
    "question_en",
    "question_ru",
    "action",
    "priority",
)


# The shipped rules that also notify a consenting shopper unasked: the late ones.
NOTIFYING = {
    ("shipped", "My parcel is late"),
    ("shipped", "My parcel is late against the carrier's promise"),
    ("returned", "My refund is late"),
}
# Added after the first install (by a migration of their own), so an existing install gets them too.
LATER_RULES = {"My parcel is late against the carrier's promise"}


def default_rule_rows(*, with_notify: bool = True, with_later: bool = True) -> list[dict[str, Any]]:
    """The rows; ``with_notify=False`` for the migration that ran before rules could notify, and
    ``with_later=False`` for the one that ran before the rules in ``LATER_RULES`` existed."""
    rows = [dict(zip(FIELDS, row, strict=True)) for row in DEFAULT_RULES]
    if not with_later:
        rows = [row for row in rows if row["question_en"] not in LATER_RULES]
    if with_notify:
        for row in rows:
            row["notify"] = (row["statuses"][0], row["question_en"]) in NOTIFYING
    return rows
