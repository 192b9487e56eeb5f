"""The widget's one entry with the core.

A live widget chat needs no sender (the shopper's browser reads replies from the live stream and
the database) and no rating prompt (it hears ``rating.requested`` on that stream); replies to an
offline conversation are emailed. The questionnaire opens inline, on the widget's own server.
"""

from __future__ import annotations

from chat.models import Connector
from chat.registry import ConnectorEntry, register_connector
from connectors.widget import offline_replies
from workspace.questionnaire.links import questionnaire_path

ENTRY = ConnectorEntry(
    deliver=offline_replies.enqueue,
    delivers=offline_replies.applies,
    questionnaire_link=questionnaire_path,
)


def register() -> None:
    register_connector(Connector.WIDGET, ENTRY)
