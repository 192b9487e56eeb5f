"""Shoppers and the identities they write from."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Connector(models.TextChoices):
    """Where a shopper writes from. ("Channel" is kept for Django Channels.)"""

    WIDGET = "widget", _("Site chat")
    TELEGRAM = "telegram", _("Telegram")
    VK = "vk", _("VK")


class Contact(models.Model):
    """A shopper, however many connectors they write from."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    # The shop's own customer id, when the shop passed a signed one (widget) or merged contacts.
    customer_id = models.CharField(_("shop customer id"), max_length=100, blank=True, db_index=True)
    # Verified: the shop signed it, or the connector confirmed it (a Telegram user sharing their own
    # number). Only verified keys merge contacts by themselves (chat.actions.contacts).
    email_verified = models.BooleanField(_("email verified"), default=False)
    phone_verified = models.BooleanField(_("phone verified"), default=False)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_contacts"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when a manager (or the retention task) erased the contact's personal data.
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name or self.email or self.phone or f"#{self.pk}"


class Identity(models.Model):
    """One way to reach a contact: a widget visitor id, a Telegram user id or a VK user id."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    connector = models.CharField(max_length=16, choices=Connector.choices)
    external_id = models.CharField(max_length=128)
    display_name = models.CharField(max_length=200, blank=True)
    # Per-connector details (Telegram chat id, VK peer id, username), as the connector sends them.
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [
            models.UniqueConstraint(fields=["connector", "external_id"], name="identity_unique_per_connector")
        ]

    def __str__(self) -> str:
        return f"{self.connector}:{self.external_id}"


class MergeKind(models.TextChoices):
    AUTOMATIC = "auto", _("Automatic")
    MANUAL = "manual", _("By an operator")


class ContactMerge(models.Model):
    """One contact folded into another, with what it takes to put everything back (``undo_data``).

    ``undo_data`` maps each registered mover (``chat.merging``) to what it moved, plus the fields the
    merge filled in on the target; an undo replays it backwards and sets ``undone_at``.
    """

    source = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="merges_out")
    target = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="merges_in")
    kind = models.CharField(max_length=8, choices=MergeKind.choices)
    # What they shared for an automatic merge: customer_id, email, phone or signed_visitor.
    key = models.CharField(max_length=32, blank=True)
    actor = models.ForeignKey(
        "chat.Operator", null=True, blank=True, on_delete=models.SET_NULL, related_name="contact_merges"
    )
    created_at = models.DateTimeField()
    undo_data = models.JSONField(default=dict)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey("chat.Operator", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("contact merge")
        verbose_name_plural = _("contact merges")
        indexes = [models.Index(fields=["target", "-created_at"]), models.Index(fields=["source", "-created_at"])]

    def __str__(self) -> str:
        return f"#{self.source_id} -> #{self.target_id}"


class ContactNote(models.Model):
    """What operators want remembered about a customer, across all their conversations."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey("chat.Operator", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("customer note")
        verbose_name_plural = _("customer notes")
        indexes = [models.Index(fields=["contact", "-created_at"])]

    def __str__(self) -> str:
        return self.text[:50]
