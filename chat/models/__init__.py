"""Domain models, one module per area. Only ``chat.actions`` writes them."""

from chat.models.contacts import Connector, Contact, ContactMerge, ContactNote, Identity, MergeKind
from chat.models.conversations import (
    NO_FIRST_REPLY,
    Attachment,
    AuthorKind,
    CannedReply,
    Conversation,
    ConversationState,
    ConversationStep,
    DeliveryState,
    Message,
    Reason,
    StepKind,
)
from chat.models.events import Event
from chat.models.feedback import Questionnaire, Rating
from chat.models.metrics import DurationDay, MetricsDay, OperatorDay, VolumeHour
from chat.models.operators import Operator, OperatorConnection, OperatorStatus, OperatorStatusChange, Queue, Skill
from chat.models.privacy import DataAuditKind, DataAuditRecord

__all__ = [
    "NO_FIRST_REPLY",
    "Attachment",
    "AuthorKind",
    "CannedReply",
    "Connector",
    "Contact",
    "ContactMerge",
    "ContactNote",
    "Conversation",
    "ConversationState",
    "ConversationStep",
    "DataAuditKind",
    "DataAuditRecord",
    "DeliveryState",
    "DurationDay",
    "Event",
    "Identity",
    "MergeKind",
    "Message",
    "MetricsDay",
    "Operator",
    "OperatorConnection",
    "OperatorDay",
    "OperatorStatus",
    "OperatorStatusChange",
    "Questionnaire",
    "Queue",
    "Rating",
    "Reason",
    "Skill",
    "StepKind",
    "VolumeHour",
]
