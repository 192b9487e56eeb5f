"""PostgreSQL only: pg_trgm, the generated tsvector per translation (in its language's text search
configuration) with a GIN index, and a trigram GIN index on titles. SQLite needs none of it: the
embedded default searches in Python (kb.search)."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    ALTER TABLE kb_articletranslation ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        CASE language
            WHEN 'ru' THEN setweight(to_tsvector('russian'::regconfig, coalesce(title, '')), 'A')
                        || setweight(to_tsvector('russian'::regconfig, coalesce(body, '')), 'B')
            ELSE setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
                 || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'B')
        END
    ) STORED
    """,
    "CREATE INDEX kb_translation_search ON kb_articletranslation USING gin (search_vector)",
    "CREATE INDEX kb_translation_title_trgm ON kb_articletranslation USING gin (title gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS kb_translation_title_trgm",
    "DROP INDEX IF EXISTS kb_translation_search",
    "ALTER TABLE kb_articletranslation DROP COLUMN IF EXISTS search_vector",
]


def run(statements: list[str]):  # type: ignore[no-untyped-def]
    def apply(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("kb", "0001_articles")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
