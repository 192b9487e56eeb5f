"""Service targets a manager sets, and every breach of them with its start and end."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TargetMetric(models.TextChoices):
    """What a target watches; the direction says whether a higher value is worse."""

    MAX_QUEUE_WAIT = "max_queue_wait", _("Longest queue wait now (seconds, at most)")
    SERVICE_LEVEL = "service_level", _("Service level (% answered within T, at least)")
    CSAT = "csat", _("CSAT (% of ratings 4-5, at least)")
    FIRST_RESPONSE = "first_response", _("Mean first response time (seconds, at most)")


HIGHER_IS_WORSE = {TargetMetric.MAX_QUEUE_WAIT, TargetMetric.FIRST_RESPONSE}


class ServiceTarget(models.Model):
    """One goal, checked every 30 s over the last ``window_minutes`` (the queue wait: right now)."""

    metric = models.CharField(_("metric"), max_length=20, choices=TargetMetric.choices, unique=True)
    threshold = models.FloatField(_("threshold"))
    # Service level only: chats answered within this many seconds count as in time.
    service_level_seconds = models.PositiveIntegerField(_("T (seconds)"), null=True, blank=True)
    window_minutes = models.PositiveIntegerField(_("window (minutes)"), default=60)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["metric"]
        verbose_name = _("service target")
        verbose_name_plural = _("service targets")
        constraints = [
            models.CheckConstraint(condition=Q(threshold__gte=0), name="target_threshold_not_negative"),
            models.CheckConstraint(condition=Q(window_minutes__gte=1), name="target_window_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()}: {self.threshold:g}"

    def is_breached_by(self, value: float | None) -> bool:
        """No value (nothing measured) is never a breach."""
        if value is None:
            return False
        return value > self.threshold if self.metric in HIGHER_IS_WORSE else value < self.threshold


class TargetBreach(models.Model):
    """A stretch of time a target was missed: open while ``ended_at`` is empty, one open per target."""

    target = models.ForeignKey(ServiceTarget, on_delete=models.CASCADE, related_name="breaches")
    metric = models.CharField(max_length=20, choices=TargetMetric.choices)
    threshold = models.FloatField()
    started_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    first_value = models.FloatField()
    worst_value = models.FloatField()
    last_value = models.FloatField()

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["target"], condition=Q(ended_at__isnull=True), name="one_open_breach"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} breached at {self.started_at:%Y-%m-%d %H:%M}"
