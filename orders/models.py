"""The shop's customers and orders as the shop pushed them, linked to the contacts who chat with us.

Statuses and their times are plain columns (``status``, ``status_changed_at``, the four stage times)
so rules about "days since shipping" are one indexed query: see :meth:`Order.stage_since`.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("Placed")
    PAID = "paid", _("Paid")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")
    RETURN_REQUESTED = "return_requested", _("Return requested")
    RETURNED = "returned", _("Returned")
    REFUNDED = "refunded", _("Refunded")


# Still moving: the likeliest subject of a chat when the shopper did not pick one.
OPEN_STATUSES = (OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.RETURN_REQUESTED)


class ShopApiKey(models.Model):
    """A shop's key to the shop API. Only its SHA-256 is stored; the key is shown once, when made."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("shop API key")
        verbose_name_plural = _("shop API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ShopCustomer(models.Model):
    """A customer as the shop knows them; orders name them by ``customer_id``."""

    customer_id = models.CharField(_("shop customer id"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # Normalised for matching: lower-case email, digits of the phone.
    email_key = models.CharField(max_length=254, blank=True, db_index=True)
    phone_key = models.CharField(max_length=40, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("shop customer")
        verbose_name_plural = _("shop customers")

    def __str__(self) -> str:
        return self.name or self.customer_id


class Order(models.Model):
    number = models.CharField(_("order number"), max_length=100, unique=True)
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices)
    # When the current status began (the shop's time if it sent one): what "days in this stage" count from.
    status_changed_at = models.DateTimeField(_("status since"))
    shop_customer = models.ForeignKey(
        ShopCustomer, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    # As the shop gave them on the order.
    customer_id = models.CharField(_("shop customer id"), max_length=100, blank=True, db_index=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email_key = models.CharField(max_length=254, blank=True, db_index=True)
    phone_key = models.CharField(max_length=40, blank=True, db_index=True)
    contact = models.ForeignKey("chat.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders")
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2, null=True, blank=True)
    placed_at = models.DateTimeField(_("placed at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # The carrier's promise: a shipped parcel not delivered by then is late (pre-shot's "promised" rules).
    promised_delivery_at = models.DateTimeField(_("delivery promised by"), null=True, blank=True)
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    tracking_url = models.CharField(_("tracking link"), max_length=500, blank=True)
    delivery_address = models.TextField(_("delivery address"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["contact", "status"], name="order_contact_status"),
            models.Index(fields=["status", "status_changed_at"], name="order_status_since"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def stage_since(self) -> datetime:
        """The time the current stage counts from: the shop's stage time where the status has one
        (placed, paid, shipped, delivered), else when the status changed to what it is."""
        stage_time = {
            OrderStatus.PLACED: self.placed_at,
            OrderStatus.PAID: self.paid_at,
            OrderStatus.SHIPPED: self.shipped_at,
            OrderStatus.DELIVERED: self.delivered_at,
        }.get(OrderStatus(self.status))
        return stage_time or self.status_changed_at


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(_("name"), max_length=300)
    quantity = models.PositiveIntegerField(_("quantity"))
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, null=True, blank=True)
    image_url = models.CharField(_("image URL"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("order item")
        verbose_name_plural = _("order items")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"


class OrderStatusChange(models.Model):
    """One status an order went through, and since when (the shop's time if given)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices)
    at = models.DateTimeField(_("at"))
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("order status change")
        verbose_name_plural = _("order status changes")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.status} at {self.at:%Y-%m-%d %H:%M}"


class ConversationOrder(models.Model):
    """The order a conversation is about, as the shopper (or an operator) picked it."""

    class ChosenBy(models.TextChoices):
        SHOPPER = "shopper", _("Customer")
        OPERATOR = "operator", _("Operator")

    conversation = models.OneToOneField("chat.Conversation", on_delete=models.CASCADE, related_name="about_order")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="conversations")
    chosen_by = models.CharField(max_length=10, choices=ChosenBy.choices)
    at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("order of a conversation")
        verbose_name_plural = _("orders of conversations")

    def __str__(self) -> str:
        return f"{self.conversation_id}: {self.order_id} ({self.chosen_by})"


class VerifiedContactDetail(models.Model):
    """An email or phone the shop vouched for on a contact (a signed widget customer): only these link
    orders, never what a stranger typed into a form."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("email")
        PHONE = "phone", _("phone")

    contact = models.ForeignKey("chat.Contact", on_delete=models.CASCADE, related_name="verified_details")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    key = models.CharField(max_length=254, db_index=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "kind", "key"], name="verified_detail_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.kind}"
