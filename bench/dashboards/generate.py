"""Fill a separate PostgreSQL database with a year of a busy shop: the dashboards' benchmark data.

1,000,000 conversations, 10,000,000 messages, 200 operators working 8-hour shifts, every step,
rating, status change and stylist questionnaire, all written by ``INSERT ... SELECT generate_series``
in a handful of statements so the database does the work, not Python.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sb_bench_dash \\
      .venv/bin/python -m bench.dashboards.generate --conversations 1000000 --messages-per-chat 10

It refuses to run on a database whose name does not contain "bench", so it never touches a test or
production database. Existing chat data in that database is deleted first.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

OPERATORS = 200
REASONS = [
    ("order-where", "Order", "Order: where is it", 30),
    ("order-cancel", "Order", "Order: cancel", 15),
    ("order-change", "Order", "Order: change address", 15),
    ("company", "Company", "Company: contacts and hours", 15),
    ("product-info", "Product", "Product: size and fit", 10),
    ("return-size", "Return", "Return: wrong size", 10),
    ("site-login", "Site", "Site: cannot log in", 5),
]


# Message texts a shop really sees, so full-text search has a realistic vocabulary: two thirds
# Russian, a third English; a phrase, often a second one, sometimes an order number or an article.
_PHRASES_RU = [
    "Здравствуйте, где мой заказ?",
    "Когда придёт доставка курьером?",
    "Хочу отменить заказ, пожалуйста",
    "Подскажите размер платья, обычно ношу M",
    "Куртка оказалась мала, можно обменять?",
    "Не могу войти в личный кабинет",
    "Оплатил картой, но статус не изменился",
    "Какие у вас часы работы магазина?",
    "Можно изменить адрес доставки?",
    "Спасибо, всё получила, очень довольна",
    "Пришли не те джинсы, нужен возврат",
    "Есть ли эти кроссовки в чёрном цвете?",
    "Посылка застряла на складе уже неделю",
    "Промокод не применяется к корзине",
    "Проверяю ваш заказ, минуту",
    "Заказ передан в службу доставки",
    "Оформил возврат, деньги придут за пять дней",
    "Пришлите, пожалуйста, фото бирки",
    "Размерная сетка есть на странице товара",
    "Извините за ожидание, уже смотрю",
]
_PHRASES_EN = [
    "Hi, where is my order?",
    "When will the courier deliver my parcel?",
    "I want to cancel my order please",
    "Which size of this dress should I take?",
    "The jacket is too small, can I exchange it?",
    "I cannot log in to my account",
    "I paid by card but the status has not changed",
    "What are your opening hours?",
    "Can I change the delivery address?",
    "Thanks, everything arrived, I love it",
    "Wrong jeans arrived, I need a refund",
    "Are these sneakers available in black?",
    "The promo code does not apply to my cart",
    "Checking your order now, one moment",
    "Your order has been handed to the courier",
    "The refund has been issued, it takes five days",
]


def _pick(phrases: list[str]) -> str:
    quoted = ",".join("'" + phrase.replace("'", "''") + "'" for phrase in phrases)
    return f"(ARRAY[{quoted}])[1 + floor(random() * {len(phrases)})::int]"


_MESSAGE_TEXT = (
    "CASE WHEN c.id % 3 = 0"
    f" THEN {_pick(_PHRASES_EN)} || CASE WHEN random() < 0.5 THEN ' ' || {_pick(_PHRASES_EN)} ELSE '' END"
    "  || CASE WHEN random() < 0.1 THEN ' order ' || (100000 + c.id) ELSE '' END"
    f" ELSE {_pick(_PHRASES_RU)} || CASE WHEN random() < 0.5 THEN ' ' || {_pick(_PHRASES_RU)} ELSE '' END"
    "  || CASE WHEN random() < 0.1 THEN ' заказ ' || (100000 + c.id) ELSE '' END END"
    "  || CASE WHEN random() < 0.02 THEN ' SKU-' || floor(random() * 50000)::int ELSE '' END"
)


def step(label: str, sql: str, params: list[Any] | None = None) -> None:
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(sql, params) if params else cursor.execute(sql)
        rows = cursor.rowcount
    print(f"{label:<28} {rows:>11,} rows {time.monotonic() - started:8.1f} s", flush=True)


def generate(conversations: int, messages_per_chat: int) -> None:
    name = connection.settings_dict["NAME"]
    if connection.vendor != "postgresql" or "bench" not in name:
        raise SystemExit(f"Refusing to fill {name!r}: use a PostgreSQL database whose name contains 'bench'.")
    call_command("migrate", verbosity=0)
    total = time.monotonic()
    step(
        "clear",
        "TRUNCATE chat_message, chat_attachment, chat_conversationstep, chat_rating, chat_questionnaire,"
        " chat_conversation, chat_contact, chat_identity, chat_operatorstatuschange, chat_operator_skills,"
        " chat_operator, chat_event RESTART IDENTITY CASCADE",
    )
    step("old bench users", "DELETE FROM auth_user WHERE username LIKE 'bench-%'")
    step(
        "skills",
        "INSERT INTO chat_skill (slug, name) VALUES ('general','General'),('stylist','Stylist') ON CONFLICT DO NOTHING",
    )
    step(
        "queues",
        "INSERT INTO chat_queue (slug, name, skill_id) SELECT s.slug, s.name, s.id FROM chat_skill s"
        " WHERE s.slug IN ('general','stylist') ON CONFLICT DO NOTHING",
    )
    for position, (slug, category, name_en, _) in enumerate(REASONS):
        step(
            f"reason {slug}",
            "INSERT INTO chat_reason (slug, category, name_en, name_ru, is_active, position)"
            " VALUES (%s, %s, %s, %s, true, %s) ON CONFLICT (slug) DO NOTHING",
            [slug, category, name_en, name_en, position],
        )
    step(
        "users",
        "INSERT INTO auth_user (username, password, is_superuser, is_staff, is_active, first_name, last_name,"
        " email, date_joined) SELECT 'bench-' || g, '!', g <= 5, g <= 5, true, '', '', '', now()"
        f" FROM generate_series(1, {OPERATORS}) g",
    )
    # Operator k works the shift (k % 3): 00-08, 08-16 or 16-24 UTC; the first five are managers.
    step(
        "operators",
        "INSERT INTO chat_operator (id, display_name, status, cap, is_manager, language, active_count,"
        " user_id) SELECT g, 'Operator ' || g, 'offline', 4, g <= 5, 'en', 0, u.id"
        f" FROM generate_series(1, {OPERATORS}) g JOIN auth_user u ON u.username = 'bench-' || g",
    )
    step(
        "operator skills",
        "INSERT INTO chat_operator_skills (operator_id, skill_id) SELECT o.id, s.id FROM chat_operator o"
        " JOIN chat_skill s ON s.slug = 'general' OR (s.slug = 'stylist' AND o.id % 20 = 0)",
    )
    step(
        "contacts",
        "INSERT INTO chat_contact (id, name, email, phone, language, customer_id, created_at, email_verified,"
        " phone_verified) SELECT g, 'Shopper ' || g, '', '', 'ru', '', now() - interval '400 days', false, false"
        f" FROM generate_series(1, {max(conversations // 3, 1)}) g",
    )
    # One row per conversation with its random draws; the columns are derived in one pass below.
    step(
        "draws",
        "CREATE UNLOGGED TABLE IF NOT EXISTS bench_draw AS SELECT 1::bigint AS id LIMIT 0; DROP TABLE bench_draw;"
        " CREATE UNLOGGED TABLE bench_draw AS SELECT g AS id,"
        f" now() - interval '365 days' + (g::float8 / {conversations}) * interval '365 days'"
        "   + random() * interval '20 minutes' AS queued_at,"
        " random() AS r_abandon, random() AS r_wait, random() AS r_transfer, random() AS r_reply,"
        " random() AS r_handle, random() AS r_rate, random() AS r_stars, random() AS r_reason,"
        " random() AS r_connector, random() AS r_stylist, floor(random() * 66)::int AS r_operator,"
        " floor(random() * 66)::int AS r_operator2"
        f" FROM generate_series(1, {conversations}) g",
    )
    step(
        "conversations",
        "INSERT INTO chat_conversation (id, connector, contact_id, queue_id, state, operator_id, reason_id,"
        " language, is_offline, created_at, queued_at, assigned_at, first_shopper_message_at, response_clock_at,"
        " first_response_at, last_shopper_message_at, last_operator_reply_at, last_replied_operator_id,"
        " closed_at, closed_by_kind, abandoned_at, visitor_context)"
        " SELECT d.id, x.connector, 1 + d.id % " + str(max(conversations // 3, 1)) + ", x.queue_id, 'closed',"
        "  CASE WHEN x.abandoned THEN NULL ELSE x.final_op END,"
        "  CASE WHEN x.abandoned THEN NULL ELSE x.reason_id END, 'ru', false, d.queued_at, d.queued_at,"
        "  CASE WHEN x.abandoned THEN NULL ELSE x.assigned_at END, d.queued_at,"
        "  CASE WHEN x.abandoned THEN d.queued_at WHEN x.transferred THEN x.transfer_at ELSE d.queued_at END,"
        "  CASE WHEN x.abandoned THEN NULL ELSE x.first_response_at END, x.closed_at - interval '30 seconds',"
        "  CASE WHEN x.abandoned THEN NULL ELSE x.closed_at - interval '10 seconds' END,"
        "  CASE WHEN x.abandoned THEN NULL ELSE x.final_op END, x.closed_at,"
        "  CASE WHEN x.abandoned THEN 'shopper' ELSE 'operator' END,"
        "  CASE WHEN x.abandoned THEN x.closed_at END, '{}'::jsonb"
        " FROM bench_draw d CROSS JOIN LATERAL (SELECT"
        "  d.r_abandon < 0.04 AS abandoned, d.r_transfer < 0.08 AS transferred,"
        "  (ARRAY['widget','widget','widget','telegram','vk'])[1 + floor(d.r_connector * 5)::int] AS connector,"
        "  (SELECT id FROM chat_queue WHERE slug = CASE WHEN d.r_stylist < 0.0025 THEN 'stylist' ELSE 'general' END)"
        "   AS queue_id,"
        "  (SELECT id FROM chat_reason ORDER BY position OFFSET LEAST(floor(-ln(1 - d.r_reason) * 1.6)::int, 6)"
        "   LIMIT 1) AS reason_id,"
        "  d.queued_at + (-13 * ln(1 - d.r_wait)) * interval '1 second' AS assigned_at,"
        "  d.queued_at + (-13 * ln(1 - d.r_wait) + 20 + d.r_reply * 60) * interval '1 second'"
        "   + CASE WHEN d.r_transfer < 0.08 THEN interval '4 minutes' ELSE interval '0' END AS first_response_at,"
        "  d.queued_at + (-13 * ln(1 - d.r_wait) + 180) * interval '1 second' AS transfer_at,"
        "  CASE WHEN d.r_abandon < 0.04 THEN d.queued_at + (5 + d.r_handle * 120) * interval '1 second'"
        "   ELSE d.queued_at + (-13 * ln(1 - d.r_wait) + 240 + d.r_handle * 900) * interval '1 second' END"
        "   AS closed_at,"
        "  1 + (extract(hour FROM d.queued_at AT TIME ZONE 'UTC')::int / 8) + 3 * d.r_operator AS first_op,"
        "  CASE WHEN d.r_transfer < 0.08"
        "   THEN 1 + (extract(hour FROM d.queued_at AT TIME ZONE 'UTC')::int / 8) + 3 * d.r_operator2"
        "   ELSE 1 + (extract(hour FROM d.queued_at AT TIME ZONE 'UTC')::int / 8) + 3 * d.r_operator END AS final_op"
        " ) x",
    )
    step("steps created", _steps("'created'", "c.created_at", "NULL", "TRUE"))
    step("steps queued", _steps("'queued'", "c.queued_at", "NULL", "TRUE"))
    step(
        "steps assigned",
        _steps(
            "'assigned'",
            "c.assigned_at",
            "1 + (extract(hour FROM d.queued_at AT TIME ZONE 'UTC')::int / 8) + 3 * d.r_operator",
            "c.assigned_at IS NOT NULL",
        ),
    )
    step(
        "steps transferred",
        _steps(
            "'transferred'", "c.response_clock_at", "c.operator_id", "c.assigned_at IS NOT NULL AND d.r_transfer < 0.08"
        ),
    )
    step("steps closed", _steps("'closed'", "c.closed_at", "c.operator_id", "c.assigned_at IS NOT NULL"))
    step("steps abandoned", _steps("'abandoned'", "c.closed_at", "NULL", "c.abandoned_at IS NOT NULL"))
    step(
        "ratings",
        "INSERT INTO chat_rating (conversation_id, stars, comment, operator_id, created_at, flagged)"
        " SELECT c.id, s.stars, '', c.last_replied_operator_id, c.closed_at + interval '1 minute', s.stars <= 2"
        " FROM chat_conversation c JOIN bench_draw d ON d.id = c.id"
        " CROSS JOIN LATERAL (SELECT CASE WHEN d.r_stars < 0.90 THEN 5 WHEN d.r_stars < 0.95 THEN 4"
        "  WHEN d.r_stars < 0.97 THEN 3 WHEN d.r_stars < 0.985 THEN 2 ELSE 1 END AS stars) s"
        " WHERE c.assigned_at IS NOT NULL AND d.r_rate < 0.6",
    )
    step(
        "questionnaires",
        "INSERT INTO chat_questionnaire (conversation_id, answers, photo, submitted_at)"
        " SELECT c.id, '{\"size\": \"M\"}'::jsonb, '', c.queued_at FROM chat_conversation c"
        " JOIN chat_queue q ON q.id = c.queue_id AND q.slug = 'stylist'",
    )
    # Each operator: online at their shift's start, away for 15 minutes mid-shift, offline at its end.
    step(
        "status changes",
        "INSERT INTO chat_operatorstatuschange (operator_id, status, at)"
        " SELECT o.id, s.status, day + ((o.id - 1) % 3) * interval '8 hours' + s.offset_"
        " FROM chat_operator o"
        " CROSS JOIN generate_series(date_trunc('day', now() - interval '366 days'), now(), interval '1 day') day"
        " CROSS JOIN (VALUES ('online', interval '0'), ('away', interval '4 hours'),"
        "  ('online', interval '4 hours 15 minutes'), ('offline', interval '8 hours 30 minutes')) s(status, offset_)"
        " WHERE day + ((o.id - 1) % 3) * interval '8 hours' + s.offset_ <= now()",
    )
    step(
        "messages",
        "INSERT INTO chat_message (conversation_id, connector, author_kind, author_id, text, is_note, created_at,"
        " delivery_state, delivery_external_id, delivery_error, delivery_attempts)"
        " SELECT c.id, c.connector, CASE WHEN n % 2 = 1 OR c.operator_id IS NULL THEN 'shopper' ELSE 'operator' END,"
        "  CASE WHEN n % 2 = 1 OR c.operator_id IS NULL THEN NULL ELSE c.operator_id END,"
        f"  {_MESSAGE_TEXT}, false,"
        f"  c.queued_at + (c.closed_at - c.queued_at) * ((n - 1)::float8 / {messages_per_chat}),"
        "  CASE WHEN n % 2 = 1 OR c.operator_id IS NULL THEN '' ELSE 'sent' END, '', '', 0"
        f" FROM chat_conversation c CROSS JOIN generate_series(1, {messages_per_chat}) n",
    )
    # The present: the newest chats are still queued or active, so the live view has something to show.
    step(
        "live queued",
        "UPDATE chat_conversation SET state = 'queued', operator_id = NULL, assigned_at = NULL,"
        " first_response_at = NULL, closed_at = NULL, closed_by_kind = '', abandoned_at = NULL, reason_id = NULL,"
        " queued_at = now() - (id % 60) * interval '1 second'"
        " WHERE id > (SELECT max(id) - 20 FROM chat_conversation)",
    )
    step(
        "live active",
        "UPDATE chat_conversation SET state = 'active', closed_at = NULL, closed_by_kind = '', reason_id = NULL,"
        " assigned_at = now() - (id % 600) * interval '1 second', queued_at = now() - interval '15 minutes'"
        " WHERE id > (SELECT max(id) - 200 FROM chat_conversation) AND id <= (SELECT max(id) - 20"
        " FROM chat_conversation) AND operator_id IS NOT NULL",
    )
    step(
        "operators on shift",
        "UPDATE chat_operator o SET status = 'online', status_changed_at = now() - interval '1 hour',"
        " active_count = (SELECT count(*) FROM chat_conversation c WHERE c.operator_id = o.id AND c.state = 'active')"
        " WHERE (o.id - 1) % 3 = extract(hour FROM now() AT TIME ZONE 'UTC')::int / 8",
    )
    for table in ("chat_conversation", "chat_contact", "chat_message", "chat_conversationstep", "chat_operator"):
        step(
            f"sequence {table}",
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))",
        )
    step("drop draws", "DROP TABLE bench_draw")
    # VACUUM too: fresh rows need their visibility map set before index-only scans pay off.
    step("vacuum analyze", "VACUUM (ANALYZE)")
    roll_up()
    print(f"{'total':<28} {'':>16} {time.monotonic() - total:8.1f} s", flush=True)


def roll_up() -> None:
    """The dashboards' day rollups for every finished day, as the beat task would build them over time."""
    from chat.actions.metrics_days import do_roll_up_days

    started = time.monotonic()
    days = do_roll_up_days(limit=10**6)
    print(f"{'day rollups':<28} {len(days):>11,} days {time.monotonic() - started:8.1f} s", flush=True)
    step("vacuum analyze rollups", "VACUUM (ANALYZE) chat_volumehour, chat_operatorday, chat_metricsday")


def _steps(kind: str, at: str, operator: str, condition: str) -> str:
    return (
        "INSERT INTO chat_conversationstep (conversation_id, kind, at, operator_id, queue_id, note)"
        f" SELECT c.id, {kind}, {at}, {operator}, c.queue_id, '' FROM chat_conversation c"
        f" JOIN bench_draw d ON d.id = c.id WHERE {condition}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--messages-per-chat", type=int, default=10)
    args = parser.parse_args()
    generate(args.conversations, args.messages_per_chat)


if __name__ == "__main__":
    main()
