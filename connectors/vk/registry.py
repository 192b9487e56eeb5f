"""VK's one entry with the core, and its place in the shared connector plumbing."""

from __future__ import annotations

from chat.models import Connector
from chat.registry import ConnectorEntry, register_connector
from connectors import bots, delivery, inbox
from connectors.vk import feedback, inbound, outbound
from workspace.questionnaire.links import questionnaire_url

ENTRY = ConnectorEntry(
    # Registering a sender is what makes do_operator_reply mark replies "pending" until VK has them.
    deliver=delivery.enqueue,
    prompt_rating=feedback.enqueue_rating_prompt,
    questionnaire_link=questionnaire_url,
)


def register() -> None:
    register_connector(Connector.VK, ENTRY)
    delivery.register_sender(Connector.VK, outbound.send_message)
    delivery.register_notice_sender(Connector.VK, outbound.send_notice)
    inbox.register_processor(Connector.VK, inbound.process_event)
    bots.register_bot(Connector.VK, feedback.BOT)
