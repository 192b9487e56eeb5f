"""What was done with a shopper's personal data, by whom and when: exports, erasures, retention."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chat.models.contacts import Contact


class DataAuditKind(models.TextChoices):
    EXPORT = "export", _("Export")
    ERASE = "erase", _("Erasure")
    RETENTION = "retention", _("Retention")


class DataAuditRecord(models.Model):
    """One export or erasure of a contact's data, or one run of the retention task. Never edited."""

    kind = models.CharField(_("kind"), max_length=10, choices=DataAuditKind.choices)
    # Empty for the retention task, which covers many contacts (their ids are in the summary).
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_records")
    # Empty for the retention task; the name is kept as it was, should the account go later.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("by"), max_length=150, blank=True)
    at = models.DateTimeField(_("at"), db_index=True)
    # What was exported or erased: counts per kind of data and the conversation ids.
    summary = models.JSONField(_("what"), default=dict)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("personal data record")
        verbose_name_plural = _("personal data records")

    def __str__(self) -> str:
        return f"{self.kind} of #{self.contact_id or '-'} by {self.actor_name or 'retention'}"
