"""Connectors: the site widget, Telegram and VK. Each maps its payloads to ``InboundMessage``."""

from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = "Connectors"

    def ready(self) -> None:
        # Each connector registers its one entry with the core (chat.registry) and its pieces of
        # the shared plumbing (delivery, the inbox, the bots' buttons).
        from connectors import bots, privacy
        from connectors.telegram import registry as telegram
        from connectors.vk import registry as vk
        from connectors.widget import registry as widget

        widget.register()
        telegram.register()
        vk.register()
        bots.register_handlers()
        # Erasing a contact (or the retention task) also erases the raw payloads they sent.
        from chat.privacy import register_contact_eraser, register_retention_sweeper

        register_contact_eraser("raw_updates", privacy.erase_raw_updates_of)
        register_retention_sweeper("raw_updates", privacy.erase_raw_updates_before)
