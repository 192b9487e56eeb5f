"""Rules (an order's status and age -> a likely question answered by a help article) and the
deflection log (what was offered, opened, and where the shopper still needed help).

A rule names its article by the knowledge base's stable ``key``, not a foreign key, so rules ship
before the articles do and survive an article being rewritten.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from chat.models import DeliveryState
from orders.models import OrderStatus


class ActionKind(models.TextChoices):
    NONE = "", _("No action")
    TRACK = "track", _("Track the parcel")
    CHANGE_ADDRESS = "change_address", _("Change the address")
    CANCEL = "cancel", _("Cancel the order")
    START_RETURN = "start_return", _("Start a return")
    REPORT_MISSING = "report_missing", _("Report a missing item")
    REFUND_STATUS = "refund_status", _("See the refund")


class CountsFrom(models.TextChoices):
    ORDER = "order", _("the order was placed")
    STAGE = "stage", _("the current status began")
    # Day 0 is the first day past the carrier's promise; an order without one, or not late yet, never matches.
    PROMISED = "promised", _("the promised delivery time passed")


class Rule(models.Model):
    """One likely question: shown for an order in one of ``statuses`` whose age in whole days since
    ``counts_from`` is within ``min_days``..``max_days`` (no upper bound when empty). Counting from
    the promise, an order is 0 days late from the moment it passes and matches nothing before."""

    statuses = models.JSONField(_("statuses"), default=list)
    counts_from = models.CharField(_("days count from"), max_length=8, choices=CountsFrom.choices)
    min_days = models.PositiveIntegerField(_("from day"), default=0)
    max_days = models.PositiveIntegerField(_("to day"), null=True, blank=True)
    article_key = models.SlugField(_("help article key"), max_length=80)
    question_en = models.CharField(_("question (English)"), max_length=200)
    question_ru = models.CharField(_("question (Russian)"), max_length=200)
    action = models.CharField(_("action"), max_length=20, choices=ActionKind.choices, blank=True, default="")
    # Higher first: the two or three likeliest questions are the top of the list.
    priority = models.IntegerField(_("priority"), default=0)
    active = models.BooleanField(_("active"), default=True)
    # Also told unasked, once per order, to shoppers who agreed to notices (a late parcel, a late refund).
    notify = models.BooleanField(_("notify the shopper"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-priority", "id")
        verbose_name = _("pre-shot rule")
        verbose_name_plural = _("pre-shot rules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_days__isnull=True) | models.Q(max_days__gte=models.F("min_days")),
                name="preshot_rule_days_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{','.join(self.statuses)} {self.min_days}-{self.max_days or '∞'}: {self.article_key}"

    def matches(self, status: str, days: int | None) -> bool:
        return (
            self.active
            and days is not None
            and status in self.statuses
            and days >= self.min_days
            and (self.max_days is None or days <= self.max_days)
        )

    def question(self, language: str) -> str:
        return (self.question_ru if language == "ru" else self.question_en) or self.question_en


class EventKind(models.TextChoices):
    SHOWN = "shown", _("Suggestion shown")
    OPENED = "opened", _("Answer opened")
    STILL_NEED_HELP = "still_need_help", _("Still need help")


class SuggestionEvent(models.Model):
    """One step of the deflection funnel. Whether a chat followed an opened answer is read from the
    contact's conversations when the figures are made, so nothing here is updated later."""

    kind = models.CharField(max_length=16, choices=EventKind.choices)
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    article_key = models.SlugField(max_length=80)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    contact = models.ForeignKey("chat.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=16, blank=True)
    language = models.CharField(max_length=2)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "at"], name="preshot_event_kind_at")]

    def __str__(self) -> str:
        return f"{self.kind} {self.article_key} at {self.at:%Y-%m-%d %H:%M}"


class NoticeConsent(models.Model):
    """A shopper agreed to be told about their orders on this channel (the bot's button)."""

    contact = models.ForeignKey("chat.Contact", on_delete=models.CASCADE, related_name="+")
    connector = models.CharField(max_length=16)
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contact", "connector"], name="preshot_one_consent")]

    def __str__(self) -> str:
        return f"{self.contact_id} on {self.connector}"


class Notice(models.Model):
    """A notice told or being told: the unique rows make it at most once per order and rule, and at
    most one per order and status (two late rules matching one shipped order tell it once), and it is
    its own delivery record (``connectors.delivery``'s outcome: pending, sent, failed with the reason).

    ``keyboard`` is the connector's buttons as sent (Telegram's inline keyboard, VK's keyboard); for
    the widget, ``{"help": {"label", "text"}, "links": [{"label", "url"}]}`` for the widget to draw. A
    widget notice stays pending until a widget of the shopper shows it (preshot.notices)."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="notices")
    connector = models.CharField(max_length=16)
    # The order's status when told ("" on notices from before it was kept).
    status = models.CharField(max_length=20, blank=True)
    contact = models.ForeignKey("chat.Contact", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=2, blank=True)
    text = models.TextField(blank=True)
    keyboard = models.JSONField(null=True, blank=True)
    state = models.CharField(
        _("delivery"), max_length=8, choices=DeliveryState.choices, default=DeliveryState.PENDING, db_index=True
    )
    error = models.CharField(_("delivery error"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    external_id = models.CharField(max_length=128, blank=True)
    at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [
            models.UniqueConstraint(fields=["order", "rule"], name="preshot_notice_once"),
            models.UniqueConstraint(
                fields=["order", "status"], condition=~models.Q(status=""), name="preshot_notice_once_per_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.rule_id} on {self.connector}: {self.state}"


ALL_STATUSES = [s.value for s in OrderStatus]
