"""Admin: shop API keys (made here or with ``create_shop_api_key``, shown once) and orders, read-only.

Orders come from the shop (API or CSV); the admin only shows them. Every write goes through
``orders.actions``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from orders import actions
from orders.models import Order, OrderItem, OrderStatusChange, ShopApiKey, ShopCustomer


@admin.register(ShopApiKey)
class ShopApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "created_at", "last_used_at", "revoked_at"]
    fields = ["name"]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: ShopApiKey | None = None) -> list[str]:
        return ["name"] if obj is not None else []

    def has_change_permission(self, request: HttpRequest, obj: ShopApiKey | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: ShopApiKey | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ShopApiKey, form: Any, change: bool) -> None:
        created, key = actions.do_create_shop_api_key(name=obj.name)
        obj.pk = created.pk
        obj.prefix, obj.key_hash, obj.created_at = created.prefix, created.key_hash, created.created_at
        messages.warning(
            request,
            _("The key for %(name)s, shown only this once (only its hash is kept): %(key)s")
            % {"name": created.name, "key": key},
        )

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ShopApiKey]) -> None:
        for key in queryset:
            actions.do_revoke_shop_api_key(key_id=key.pk)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class HistoryInline(ItemInline):
    model = OrderStatusChange  # type: ignore[assignment]


@admin.register(Order)
class OrderAdmin(ReadOnly):
    list_display = ["number", "status", "status_changed_at", "customer_id", "contact", "total", "currency"]
    list_filter = ["status"]
    search_fields = ["number", "customer_id", "email", "phone", "tracking_number"]
    inlines = [ItemInline, HistoryInline]


@admin.register(ShopCustomer)
class ShopCustomerAdmin(ReadOnly):
    list_display = ["customer_id", "name", "email", "phone", "updated_at"]
    search_fields = ["customer_id", "name", "email", "phone"]
