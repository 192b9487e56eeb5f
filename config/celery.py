"""The Celery app. Tasks are thin wrappers over ``chat`` actions."""

import os
from pathlib import Path
from typing import Any

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("switchboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _periodic_under_locks(sender: Celery, source: Any, **_: Any) -> None:
    """Every beat entry runs through ``chat.tasks.run_periodic`` (a lock per task, chat/periodic.py),
    and beat finds the folder of its schedule file even in a fresh clone (``var/`` is not in git)."""
    from chat.periodic import locked_schedule

    source["beat_schedule"] = locked_schedule(source.get("beat_schedule") or {})
    filename = source.get("beat_schedule_filename")
    if filename:
        Path(filename).parent.mkdir(parents=True, exist_ok=True)


@worker_init.connect
def _plain_connections_in_prefork_children(sender: Any = None, **_: Any) -> None:
    """Before the children are forked: prefork children use plain connections (config/dbpool.py)."""
    from config.dbpool import without_pool_in_prefork_workers

    without_pool_in_prefork_workers(getattr(sender, "pool_cls", ""))
