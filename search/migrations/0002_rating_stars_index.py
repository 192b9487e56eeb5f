"""``chat_rating (stars, conversation_id)``: the conversations with a rating (1-2 stars, or exactly n)
read from an index, for the rating filters of search and the history list (docs/benchmarks.md,
"Search"). The rating table is small (one row per rated chat): the build takes seconds.
"""

from __future__ import annotations

from django.db import migrations

FORWARD = "CREATE INDEX IF NOT EXISTS search_rating_stars_idx ON chat_rating (stars, conversation_id)"
BACKWARD = "DROP INDEX IF EXISTS search_rating_stars_idx"


class Migration(migrations.Migration):
    dependencies = [("search", "0001_message_search_index"), ("chat", "0009_contact_data_audit")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD, elidable=False)]
