"""Connectors: the site widget, Telegram and VK. Each maps its payloads to ``InboundMessage``."""

from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "connectors"
    verbose_name = "Connectors"

    def ready(self) -> None:
        # Telegram and VK replies go out through Celery; registering them is what makes
        # do_operator_reply mark those messages "pending" until the platform accepts them.
        from chat.models import Connector
        from chat.outbound import register_sender
        from connectors import delivery
        from connectors.inbox import register_processor
        from connectors.telegram.inbound import process_update
        from connectors.vk.inbound import process_event

        register_sender(Connector.TELEGRAM, delivery.enqueue)
        register_sender(Connector.VK, delivery.enqueue)
        # Replies to an offline widget conversation are emailed; live widget chats need no sender.
        from connectors.widget import offline_replies

        register_sender(Connector.WIDGET, offline_replies.enqueue, applies=offline_replies.applies)
        register_processor(Connector.TELEGRAM, process_update)
        register_processor(Connector.VK, process_event)
        # Rating buttons, /stylist and the rating prompt after close (chat.feedback's registry).
        from connectors import feedback

        feedback.register()
        # Erasing a contact (or the retention task) also erases the raw payloads they sent.
        from chat.privacy import register_contact_eraser, register_retention_sweeper
        from connectors import privacy

        register_contact_eraser("raw_updates", privacy.erase_raw_updates_of)
        register_retention_sweeper("raw_updates", privacy.erase_raw_updates_before)
