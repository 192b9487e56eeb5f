"""Telegram's one entry with the core, and its place in the shared connector plumbing."""

from __future__ import annotations

from chat.models import Connector
from chat.registry import ConnectorEntry, register_connector
from connectors import bots, delivery, inbox
from connectors.telegram import feedback, inbound, outbound
from workspace.questionnaire.links import questionnaire_url

ENTRY = ConnectorEntry(
    # Registering a sender is what makes do_operator_reply mark replies "pending" until Telegram has them.
    deliver=delivery.enqueue,
    prompt_rating=feedback.enqueue_rating_prompt,
    questionnaire_link=questionnaire_url,
)


def register() -> None:
    register_connector(Connector.TELEGRAM, ENTRY)
    delivery.register_sender(Connector.TELEGRAM, outbound.send_message)
    delivery.register_notice_sender(Connector.TELEGRAM, outbound.send_notice)
    inbox.register_processor(Connector.TELEGRAM, inbound.process_update)
    bots.register_bot(Connector.TELEGRAM, feedback.BOT)
