"""What the shopper tells us beyond messages: a rating after close, a stylist questionnaire."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chat.files import random_storage_name
from chat.models.conversations import Conversation
from chat.models.operators import Operator


class Rating(models.Model):
    """1-5 stars after close, one per conversation, credited to the operator who last replied."""

    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="rating")
    stars = models.PositiveSmallIntegerField(_("stars"))
    comment = models.TextField(_("comment"), blank=True)
    operator = models.ForeignKey(Operator, null=True, blank=True, on_delete=models.SET_NULL, related_name="ratings")
    created_at = models.DateTimeField()
    commented_at = models.DateTimeField(null=True, blank=True)
    # 1-2 stars: a manager should look at this conversation.
    flagged = models.BooleanField(default=False)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="rating_stars_1_to_5")]
        indexes = [
            models.Index(fields=["created_at"], name="rating_created_idx"),
            models.Index(fields=["operator", "created_at"], name="rating_operator_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.stars}* for #{self.conversation_id}"


def questionnaire_photo_path(instance: Questionnaire, filename: str) -> str:
    """A random name, so one customer's photo cannot be found from another's conversation id or time."""
    return random_storage_name("questionnaires", filename.rsplit(".", 1)[-1] if "." in filename else "")


class Questionnaire(models.Model):
    """The stylist consultation form: sizes, style, budget, occasion, filled in before the chat."""

    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="questionnaire")
    answers = models.JSONField(default=dict)
    photo = models.FileField(upload_to=questionnaire_photo_path, blank=True, max_length=300)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("stylist questionnaire")
        verbose_name_plural = _("stylist questionnaires")

    def __str__(self) -> str:
        return f"questionnaire for #{self.conversation_id}"
