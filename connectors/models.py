"""Raw updates from Telegram and VK, stored before we answer so nothing we acknowledged is lost.

The unique key is the platform's own id (Telegram ``update_id``, VK ``event_id``): a retried webhook
or a replayed long poll finds the row already there and is processed at most once.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RawUpdateState(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSING = "processing", _("Processing")
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored")
    FAILED = "failed", _("Failed")


class RawUpdate(models.Model):
    connector = models.CharField(max_length=16)
    update_id = models.CharField(max_length=128)
    kind = models.CharField(_("type"), max_length=64, blank=True)
    payload = models.JSONField()
    state = models.CharField(max_length=12, choices=RawUpdateState.choices, default=RawUpdateState.RECEIVED)
    # Why it was ignored or failed, for whoever reads the admin.
    note = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("raw update")
        verbose_name_plural = _("raw updates")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["connector", "update_id"], name="raw_update_unique")]
        indexes = [models.Index(fields=["state", "received_at"], name="raw_update_state_idx")]

    def __str__(self) -> str:
        return f"{self.connector}:{self.update_id} ({self.kind})"
