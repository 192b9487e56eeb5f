"""PostgreSQL full text over messages and contact names; nothing on SQLite (it searches with LIKE).

``chat_message.search_vector`` is a generated, stored ``to_tsvector('russian', text)``: the
``russian`` configuration stems Cyrillic words with the Russian Snowball stemmer and Latin ones with
the English stemmer (and drops both languages' stop words), so one vector serves both languages and
stays true through every edit and erasure without a trigger. Adding it rewrites the table once
(docs/benchmarks.md has the time on ten million messages). ``(created_at, id)`` serves newest-first
paging; the contact-name index serves the conversation matches.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

FORWARD = [
    "SET LOCAL maintenance_work_mem = '256MB'",
    "ALTER TABLE chat_message ADD COLUMN IF NOT EXISTS search_vector tsvector"
    " GENERATED ALWAYS AS (to_tsvector('russian'::regconfig, coalesce(text, ''))) STORED",
    "CREATE INDEX IF NOT EXISTS search_message_vector_idx ON chat_message USING gin (search_vector)",
    # More words in the statistics: the planner (and search.selectors) tell rare words from common ones.
    "ALTER TABLE chat_message ALTER COLUMN search_vector SET STATISTICS 1000",
    "CREATE INDEX IF NOT EXISTS search_message_created_idx ON chat_message (created_at, id)",
    "CREATE INDEX IF NOT EXISTS search_contact_name_idx ON chat_contact"
    " USING gin (to_tsvector('russian'::regconfig, name))",
]
BACKWARD = [
    "DROP INDEX IF EXISTS search_contact_name_idx",
    "DROP INDEX IF EXISTS search_message_created_idx",
    "DROP INDEX IF EXISTS search_message_vector_idx",
    "ALTER TABLE chat_message DROP COLUMN IF EXISTS search_vector",
]


def _run(statements: list[str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("chat", "0009_contact_data_audit")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
