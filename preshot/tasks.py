"""Celery finds pre-shot's periodic task here (autodiscovery imports ``<app>.tasks``)."""

from preshot.notices import send_due_notices

__all__ = ["send_due_notices"]
