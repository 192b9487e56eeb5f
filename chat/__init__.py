"""Conversations, messages, the queue and assignment: Switchboard's one write path (``chat.actions``)."""
