"""Proactive notices in the admin: what each shopper was told, and why a send failed (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from preshot.models import Notice


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("id", "order", "rule", "connector", "state", "error", "attempts", "at", "sent_at")
    list_filter = ("state", "connector")
    search_fields = ("order__number", "error")
    list_select_related = ("order", "rule")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
