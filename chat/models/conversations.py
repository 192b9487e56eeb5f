"""Conversations, their messages and steps, and the lists operators pick from (reasons, replies)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from chat.files import random_storage_name
from chat.models.contacts import Connector, Contact
from chat.models.operators import Operator, Queue


class ConversationState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class Reason(models.Model):
    """Why the shopper wrote: one per closed conversation, from a mutually exclusive list."""

    slug = models.SlugField(unique=True)
    category = models.CharField(_("category"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_ru = models.CharField(_("name (Russian)"), max_length=120)
    is_active = models.BooleanField(_("in use"), default=True, help_text=_("Retired reasons stay on old chats."))
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("contact reason")
        verbose_name_plural = _("contact reasons")

    def __str__(self) -> str:
        return self.localized_name()

    def localized_name(self, language: str | None = None) -> str:
        return self.name_ru if (language or get_language() or "en").startswith("ru") else self.name_en


class CannedReply(models.Model):
    """A ready answer an operator inserts by typing ``/shortcut``."""

    shortcut = models.SlugField(_("shortcut"), max_length=40)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    text = models.TextField(_("text"))

    class Meta:
        ordering = ["shortcut"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        constraints = [models.UniqueConstraint(fields=["shortcut", "language"], name="canned_reply_unique")]

    def __str__(self) -> str:
        return f"/{self.shortcut} ({self.language})"


class Conversation(models.Model):
    """One chat: ``queued -> active -> closed``, with every step's time kept for the metrics."""

    connector = models.CharField(max_length=16, choices=Connector.choices)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="conversations")
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="conversations")
    state = models.CharField(max_length=8, choices=ConversationState.choices, default=ConversationState.QUEUED)
    operator = models.ForeignKey(
        Operator, null=True, blank=True, on_delete=models.PROTECT, related_name="conversations"
    )
    reason = models.ForeignKey(Reason, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    language = models.CharField(max_length=8, blank=True)
    # Left through the offline form while nobody was online: answered later, on the given contact.
    is_offline = models.BooleanField(default=False)
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    created_at = models.DateTimeField()
    queued_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    first_shopper_message_at = models.DateTimeField(null=True, blank=True)
    # First response time runs from this (the first shopper message, or the last transfer) ...
    response_clock_at = models.DateTimeField(null=True, blank=True)
    # ... to this: the first operator reply after it.
    first_response_at = models.DateTimeField(null=True, blank=True)
    last_shopper_message_at = models.DateTimeField(null=True, blank=True)
    last_operator_reply_at = models.DateTimeField(null=True, blank=True)
    last_replied_operator = models.ForeignKey(
        Operator, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_by_kind = models.CharField(max_length=8, blank=True)  # operator | shopper | system
    # Who last let the first reply time out: assignment gives the chat to someone else if it can.
    passed_over_operator = models.ForeignKey(
        Operator, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    abandoned_at = models.DateTimeField(null=True, blank=True)
    # The texts, files, rating comment and questionnaire were erased (the times stay for the metrics).
    erased_at = models.DateTimeField(null=True, blank=True)
    # Where the shopper is while they chat (page, earlier pages, referrer, device, cart), as the widget
    # reports it; see chat/visitor_context.py for the shape. Empty for Telegram and VK.
    visitor_context = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [
            models.Index(
                fields=["queue", "queued_at", "id"],
                name="conversation_waiting_idx",
                condition=Q(state="queued"),
            ),
            models.Index(fields=["operator", "state"], name="conversation_operator_idx"),
            models.Index(fields=["contact", "created_at"], name="conversation_contact_idx"),
            models.Index(fields=["created_at"], name="conversation_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="queued", operator__isnull=True)
                | Q(state="active", operator__isnull=False)
                | Q(state="closed"),
                name="conversation_operator_matches_state",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.connector} {self.state}"


# ConversationStep.note of a requeue because the operator sent no first reply in time.
NO_FIRST_REPLY = "no_first_reply"


class StepKind(models.TextChoices):
    CREATED = "created"
    QUEUED = "queued"
    ASSIGNED = "assigned"
    TRANSFERRED = "transferred"
    REQUEUED = "requeued"
    CLOSED = "closed"
    ABANDONED = "abandoned"


class ConversationStep(models.Model):
    """Every step of a conversation, with its time: the audit trail and the metrics' source."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=12, choices=StepKind.choices)
    at = models.DateTimeField()
    operator = models.ForeignKey(Operator, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["conversation", "at"], name="step_conversation_at_idx")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M:%S}"


class AuthorKind(models.TextChoices):
    SHOPPER = "shopper", _("Shopper")
    OPERATOR = "operator", _("Operator")
    SYSTEM = "system", _("System")


class DeliveryState(models.TextChoices):
    """Outbound delivery to the shopper's connector. Inbound messages and notes have none."""

    NONE = "", "-"
    PENDING = "pending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    connector = models.CharField(max_length=16, choices=Connector.choices)
    author_kind = models.CharField(max_length=8, choices=AuthorKind.choices)
    author = models.ForeignKey(Operator, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(blank=True)
    # A private note between operators: never shown or sent to the shopper.
    is_note = models.BooleanField(default=False)
    # The connector's id for an inbound message (Telegram update, VK event): retries dedupe on it.
    external_id = models.CharField(max_length=128, null=True, blank=True)
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    delivery_state = models.CharField(max_length=8, choices=DeliveryState.choices, blank=True, default="")
    delivery_external_id = models.CharField(max_length=128, blank=True)
    delivery_error = models.CharField(max_length=500, blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["conversation", "id"], name="message_conversation_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "external_id"],
                condition=Q(external_id__isnull=False),
                name="message_external_id_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.author_kind}: {self.text[:40]}"


def attachment_path(instance: Attachment, filename: str) -> str:
    """A random name: the sender's file name is kept in ``name`` only, and nothing here can be guessed."""
    return random_storage_name("attachments")


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(max_length=200)
    # What the sender claimed; metadata only. ``detected_type`` (from the bytes) decides how it is served.
    content_type = models.CharField(max_length=100, blank=True)
    detected_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.name
