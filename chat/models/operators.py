"""Operators, their skills and status history, and the queues that need those skills."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

# The names the setup gives the built-in queues, so the catalogue translates them where they show.
BUILT_IN_QUEUE_NAMES = (gettext_noop("General"), gettext_noop("Stylist consultation"))


def default_cap() -> int:
    return settings.SWITCHBOARD_MAX_CHATS


class Skill(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    def __str__(self) -> str:
        return self.name


class Queue(models.Model):
    """Where conversations wait; served only by operators who have the queue's skill."""

    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=100)
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="queues")
    # Off when empty: a chat whose operator sends no first reply this long goes back to the queue.
    first_reply_timeout_seconds = models.PositiveIntegerField(
        _("first reply within (seconds)"),
        null=True,
        blank=True,
        help_text=_(
            "Empty: off. A chat whose operator sends no first reply this long goes back to the head of the "
            "queue for the next operator."
        ),
    )

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")

    def __str__(self) -> str:
        return self.name

    def localized_name(self) -> str:
        """The name in the active language: the catalogue's translation if it has one, else as typed."""
        return gettext(self.name) if self.name else self.name


class OperatorStatus(models.TextChoices):
    ONLINE = "online", _("Online")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class Operator(models.Model):
    """A person who answers chats. ``active_count`` is kept by the assignment actions only.

    The count lives on the row so that the cap can be enforced by one conditional UPDATE, which
    holds under any concurrency across processes, instead of a count-then-write race.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="operator")
    display_name = models.CharField(_("display name"), max_length=100)
    status = models.CharField(max_length=8, choices=OperatorStatus.choices, default=OperatorStatus.OFFLINE)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    cap = models.PositiveSmallIntegerField(
        _("chat limit"), default=default_cap, help_text=_("At most the site-wide limit; lower it, never raise it.")
    )
    skills = models.ManyToManyField(Skill, blank=True, related_name="operators")
    is_manager = models.BooleanField(_("manager"), default=False)
    language = models.CharField(max_length=8, default="en")
    active_count = models.PositiveSmallIntegerField(default=0, editable=False)
    # Tie-break for assignment: the operator idle longest goes first.
    last_assigned_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the last live workspace connection went (or was last seen, for one that died unannounced).
    disconnected_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("operator")
        verbose_name_plural = _("operators")
        indexes = [models.Index(fields=["status", "active_count"], name="operator_eligible_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(cap__gte=1), name="operator_cap_positive")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def effective_cap(self) -> int:
        return min(self.cap, settings.SWITCHBOARD_MAX_CHATS)


class OperatorConnection(models.Model):
    """One open workspace socket, kept fresh by its consumer's heartbeat.

    A counter on the operator only ever went down in ``disconnect()``, which a crash or a kill -9
    never runs; a row whose heartbeat stopped simply expires, and the sweep takes it away.
    """

    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="live_connections")
    key = models.CharField(max_length=64, unique=True)
    connected_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.operator_id} seen {self.seen_at:%Y-%m-%d %H:%M:%S}"


class OperatorStatusChange(models.Model):
    """Status history: occupancy and concurrency are computed from it."""

    operator = models.ForeignKey(Operator, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(max_length=8, choices=OperatorStatus.choices)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["operator", "at"], name="status_change_op_at_idx")]

    def __str__(self) -> str:
        return f"{self.status} at {self.at:%Y-%m-%d %H:%M:%S}"
