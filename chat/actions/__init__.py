"""Every write in Switchboard. Views, consumers, connectors and tasks call these and nothing else.

Each action validates its input (raising :class:`chat.errors.ChatError` before writing anything),
changes the database in one transaction, and publishes its events after that transaction commits.
"""

from chat.actions.assignment import do_assign_waiting, publish_queue_positions
from chat.actions.consultations import Consultation, do_start_consultation, do_submit_questionnaire
from chat.actions.contacts import (
    do_add_contact_note,
    do_edit_contact_note,
    do_merge_contacts,
    do_merge_signed_visitor,
    do_undo_merge,
    merge_on_verified_keys,
)
from chat.actions.conversations import (
    do_close,
    do_edit_inbound,
    do_operator_reply,
    do_requeue_unanswered_chats,
    do_requeue_without_first_reply,
    do_set_reason,
    do_transfer,
)
from chat.actions.delivery import do_mark_delivery, do_retry_delivery
from chat.actions.history import do_reopen_conversation, do_write_again
from chat.actions.housekeeping import do_close_silent_queued, do_prune_events
from chat.actions.inbound import (
    InboundAttachment,
    InboundMessage,
    ReceivedMessage,
    do_leave_contact_while_waiting,
    do_open_conversation,
    do_receive_inbound,
    do_receive_offline_message,
    do_set_contact_details,
    ensure_contact,
)
from chat.actions.operators import (
    do_operator_connected,
    do_operator_disconnected,
    do_operator_heartbeat,
    do_set_operator_status,
    do_sweep_disconnected_operators,
)
from chat.actions.privacy import do_erase_contact, do_erase_expired_conversations, do_export_contact
from chat.actions.ratings import (
    do_comment_rating,
    do_rate_conversation,
    do_request_rating,
    do_review_rating,
    do_take_rating_comment,
)
from chat.actions.visitor_context import do_report_visitor_context

__all__ = [
    "Consultation",
    "InboundAttachment",
    "InboundMessage",
    "ReceivedMessage",
    "do_add_contact_note",
    "do_assign_waiting",
    "do_close",
    "do_close_silent_queued",
    "do_comment_rating",
    "do_edit_contact_note",
    "do_edit_inbound",
    "do_erase_contact",
    "do_erase_expired_conversations",
    "do_export_contact",
    "do_leave_contact_while_waiting",
    "do_mark_delivery",
    "do_merge_contacts",
    "do_merge_signed_visitor",
    "do_open_conversation",
    "do_operator_connected",
    "do_operator_disconnected",
    "do_operator_heartbeat",
    "do_operator_reply",
    "do_prune_events",
    "do_rate_conversation",
    "do_receive_inbound",
    "do_receive_offline_message",
    "do_reopen_conversation",
    "do_report_visitor_context",
    "do_request_rating",
    "do_requeue_unanswered_chats",
    "do_requeue_without_first_reply",
    "do_retry_delivery",
    "do_review_rating",
    "do_set_contact_details",
    "do_set_operator_status",
    "do_set_reason",
    "do_start_consultation",
    "do_submit_questionnaire",
    "do_sweep_disconnected_operators",
    "do_take_rating_comment",
    "do_transfer",
    "do_undo_merge",
    "do_write_again",
    "ensure_contact",
    "merge_on_verified_keys",
    "publish_queue_positions",
]
