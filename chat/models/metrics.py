"""Day rollups of the service metrics: exact sums the dashboards read instead of a month of raw rows.

Written only by ``chat.actions.metrics_days``. A day is read from here only while it is fresh
(see ``MetricsDay``); otherwise the dashboards compute it from the raw rows, so a figure never
depends on whether its days were rolled up. Ids are plain integers, not foreign keys: a rollup is a
copy of figures, and deleting a queue or an operator must not touch it.
"""

from __future__ import annotations

from django.db import models


class MetricsDay(models.Model):
    """One local day (``TIME_ZONE``): how often it was changed and which change its rollup saw.

    Fresh iff ``computed_version == stale_version`` and it was computed after the day ended plus a
    grace, with the service-level T still the current setting.
    """

    day = models.DateField(primary_key=True)
    stale_version = models.IntegerField(default=0)
    computed_version = models.IntegerField(default=-1)
    computed_at = models.DateTimeField(null=True, blank=True)
    # New for every rollup: what a reader may cache the day's rollup rows under.
    computed_token = models.CharField(max_length=32, blank=True)
    service_level_seconds = models.IntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.day} v{self.computed_version}/{self.stale_version}"


class VolumeHour(models.Model):
    """Additive counters of the conversations opened in one local hour, per connector, queue, reason."""

    day = models.DateField()  # the local day of ``hour``, to select whole days
    hour = models.DateTimeField()  # the start of the local hour
    connector = models.CharField(max_length=16)
    queue_id = models.IntegerField()
    reason_id = models.IntegerField(null=True)
    offered = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    abandoned = models.IntegerField(default=0)
    answered_in_t = models.IntegerField(default=0)
    abandoned_in_t = models.IntegerField(default=0)
    closed_with_reply = models.IntegerField(default=0)
    rated_with_reply = models.IntegerField(default=0)
    stars_1 = models.IntegerField(default=0)
    stars_2 = models.IntegerField(default=0)
    stars_3 = models.IntegerField(default=0)
    stars_4 = models.IntegerField(default=0)
    stars_5 = models.IntegerField(default=0)
    consultations = models.IntegerField(default=0)
    consultations_with_form = models.IntegerField(default=0)
    wait_count = models.IntegerField(default=0)
    wait_sum = models.FloatField(default=0)
    frt_count = models.IntegerField(default=0)
    frt_sum = models.FloatField(default=0)
    handle_count = models.IntegerField(default=0)
    handle_sum = models.FloatField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="volumehour_day_idx")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.connector} q{self.queue_id}: {self.offered}"


class OperatorDay(models.Model):
    """One operator's figures for one local day, for all chats or one connector and/or queue.

    ``connector_key`` '' and ``queue_key`` 0 mean "all". Chats, handle time and consultations go to
    the chat's final operator; ratings to the operator credited; time is clipped to the day.
    ``online_seconds`` is None when the operator was never signed in that day (they are then left
    out of the table unless signed in on another day of the range, as the raw query does).
    """

    day = models.DateField()
    operator_id = models.IntegerField()
    connector_key = models.CharField(max_length=16, default="")
    queue_key = models.IntegerField(default=0)
    chats = models.IntegerField(default=0)
    handle_count = models.IntegerField(default=0)
    handle_sum = models.FloatField(default=0)
    consultations = models.IntegerField(default=0)
    ratings = models.IntegerField(default=0)
    good_ratings = models.IntegerField(default=0)
    online_seconds = models.FloatField(null=True)
    chat_seconds = models.FloatField(default=0)
    busy_seconds = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connector_key", "queue_key", "day", "operator_id"], name="operatorday_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} operator {self.operator_id} [{self.connector_key or '*'}/{self.queue_key or '*'}]"


class DurationDay(models.Model):
    """Every wait, first response and handle time of the chats opened on one local day, per connector and
    queue: sorted doubles (machine byte order), so exact percentiles over a month are a merge of a
    few sorted runs instead of a database sort of every chat.
    """

    day = models.DateField()
    connector = models.CharField(max_length=16)
    queue_id = models.IntegerField()
    wait = models.BinaryField()
    frt = models.BinaryField()
    handle = models.BinaryField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="durationday_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.connector} q{self.queue_id}"
