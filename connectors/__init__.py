"""Connectors: the site widget, Telegram and VK. Each maps its payloads to ``InboundMessage``."""
