"""Indexes the dashboards need on chat tables (see docs/benchmarks.md for what each buys).

Plain ``CREATE INDEX IF NOT EXISTS`` on chat tables, kept here so the chat app's migrations stay
untouched; PostgreSQL gets a covering (INCLUDE) form of the step index for index-only scans.
"""

from django.db import migrations

POSTGRES = [
    (
        "dash_step_at_idx",
        "CREATE INDEX IF NOT EXISTS dash_step_at_idx ON chat_conversationstep (at)"
        " INCLUDE (id, conversation_id, kind, operator_id)",
    ),
    (
        "dash_conversation_closed_idx",
        "CREATE INDEX IF NOT EXISTS dash_conversation_closed_idx ON chat_conversation (closed_at)",
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
    for name, _ in POSTGRES:  # the same names on every backend
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("workspace", "0001_service_targets"),
        ("chat", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
