"""Durable live events: what a workspace client missed while disconnected is replayed from here."""

from __future__ import annotations

from django.db import models


class Event(models.Model):
    """One live event for one audience (``operator.<id>``, ``staff`` or ``managers``).

    The channel layer delivers at most once; a client that reconnects sends the last id it saw and
    gets every later event for its audiences from this table.
    """

    audience = models.CharField(max_length=40)
    kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["audience", "id"], name="event_audience_idx")]

    def __str__(self) -> str:
        return f"{self.kind} -> {self.audience}"
