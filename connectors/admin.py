"""Raw updates in the admin, with each connector's on/off state said once, at the top."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse

from connectors.models import RawUpdate


def connector_status() -> list[tuple[str, bool, str]]:
    """``(connector, on, why)`` for the admin: a connector without a token is off."""
    telegram_on = bool(settings.TELEGRAM_BOT_TOKEN)
    vk_on = bool(settings.VK_GROUP_TOKEN)
    return [
        (
            "Telegram",
            telegram_on,
            "on" if telegram_on else "off: TELEGRAM_BOT_TOKEN is not set",
        ),
        ("VK", vk_on, "on" if vk_on else "off: VK_GROUP_TOKEN is not set"),
    ]


@admin.register(RawUpdate)
class RawUpdateAdmin(admin.ModelAdmin):
    list_display = ("id", "connector", "update_id", "kind", "state", "note", "received_at")
    list_filter = ("connector", "state", "kind")
    search_fields = ("update_id", "note")
    readonly_fields = ("connector", "update_id", "kind", "payload", "state", "note", "received_at", "processed_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        for name, on, why in connector_status():
            messages.add_message(request, messages.INFO if on else messages.WARNING, f"{name} connector: {why}")
        return super().changelist_view(request, extra_context)
