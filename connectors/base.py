"""What every connector shares: the inbound type is ``chat.actions.InboundMessage``."""

from chat.actions import InboundAttachment, InboundMessage

__all__ = ["InboundAttachment", "InboundMessage"]
