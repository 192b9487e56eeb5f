"""Indexes the dashboards need on chat tables (see docs/benchmarks.md for what each buys).

Plain ``CREATE INDEX IF NOT EXISTS`` on chat tables, kept here so the chat app's migrations stay
untouched; PostgreSQL gets covering (INCLUDE) forms for index-only scans.
"""

from django.db import migrations

POSTGRES = [
    (
        "dash_step_at_idx",
        "CREATE INDEX IF NOT EXISTS dash_step_at_idx ON chat_conversationstep (at)"
        " INCLUDE (conversation_id, kind, operator_id)",
    ),
    (
        "dash_conversation_closed_idx",
        "CREATE INDEX IF NOT EXISTS dash_conversation_closed_idx ON chat_conversation (closed_at)",
    ),
    (
        "dash_conversation_range_idx",
        "CREATE INDEX IF NOT EXISTS dash_conversation_range_idx ON chat_conversation (created_at)"
        " INCLUDE (connector, queue_id, operator_id, reason_id, queued_at, assigned_at, abandoned_at, closed_at,"
        " response_clock_at, first_response_at, last_operator_reply_at)",
    ),
]
PORTABLE = [
    ("dash_step_at_idx", "CREATE INDEX IF NOT EXISTS dash_step_at_idx ON chat_conversationstep (at)"),
    (
        "dash_conversation_closed_idx",
        "CREATE INDEX IF NOT EXISTS dash_conversation_closed_idx ON chat_conversation (closed_at)",
    ),
]


def create(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else PORTABLE
    for _, sql in statements:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    for name, _ in POSTGRES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("workspace", "0001_service_targets"),
        ("chat", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
