"""Store a raw update durably, then process it once: the shared half of every webhook and poller.

Webhooks answer only after :func:`store_update` commits, so anything Telegram or VK saw
acknowledged is in the database; processing runs after commit (a Celery task) and its outcome is
written back on the row for the admin to read. The tasks keep the names they were first sent under
(``connectors.tasks.*``): a broker may still hold some, and beat's schedule names one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from chat.errors import ChatError
from chat.limits import is_over_message_limit, message_max_chars
from chat.untrusted import first_unstorable, storable_copy
from connectors.models import RawUpdate, RawUpdateState

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    state: str
    note: str = ""


def processed(note: str = "") -> Outcome:
    return Outcome(RawUpdateState.PROCESSED, note)


def ignored(note: str) -> Outcome:
    return Outcome(RawUpdateState.IGNORED, note)


Processor = Callable[[dict[str, Any]], Outcome]
_processors: dict[str, Processor] = {}


def apply_edit(*, connector: str, external_id: str, text: str) -> Outcome:
    """A shopper edited a message on Telegram or VK: update what we stored, or say why not."""
    from chat.actions import do_edit_inbound

    if is_over_message_limit(text):
        return ignored(f"Edited text of {len(text)} characters is over the {message_max_chars()} limit.")
    edited = do_edit_inbound(connector=connector, external_id=external_id, text=text)
    if edited is None:
        return ignored("Edit of a message we never stored.")
    return processed(f"edited message {edited.pk}")


def register_processor(connector: str, processor: Processor) -> None:
    _processors[connector] = processor


def store_update(*, connector: str, update_id: str, kind: str, payload: dict[str, Any]) -> bool:
    """Keep the update (once per id) and queue its processing after commit; False for a repeat.

    An update holding what the database can never store (NUL, a lone surrogate) is kept as a
    readable copy marked failed, with the reason, and not processed: the platform is answered as
    for any stored update, so it stops retrying something that would fail forever. A database that
    is down still raises, so the webhook answers 5xx and the platform retries later.
    """
    unstorable = first_unstorable([update_id, kind, payload])
    if unstorable is not None:
        return _store_rejected(connector, update_id, kind, payload, *unstorable)
    raw_id = _insert_once(connector, update_id, kind[:64], payload)
    if raw_id is None:
        logger.info("Repeated %s update %s ignored", connector, update_id)
        return False
    # At once in autocommit (the INSERT is its own transaction), else after the caller's commit.
    transaction.on_commit(lambda: process_raw_update.delay(raw_id))
    return True


def _insert_once(connector: str, update_id: str, kind: str, payload: dict[str, Any]) -> int | None:
    """The acknowledgement's one statement: INSERT unless (connector, update_id) is already stored.

    One round trip instead of get_or_create's six (BEGIN, SELECT, SAVEPOINT, INSERT, RELEASE,
    COMMIT); the unique constraint decides a race between two deliveries of one update.
    """
    fields = {field.name: field for field in RawUpdate._meta.concrete_fields}
    values = {
        "connector": connector,
        "update_id": update_id,
        "kind": kind,
        "payload": payload,
        "state": RawUpdateState.RECEIVED,
        "note": "",
        "received_at": timezone.now(),
    }
    with connection.cursor() as cursor:
        prepared = [fields[name].get_db_prep_save(value, connection) for name, value in values.items()]
        columns = ", ".join(connection.ops.quote_name(fields[name].get_attname_column()[1] or name) for name in values)
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(RawUpdate._meta.db_table)} ({columns})"  # noqa: S608 (names from the model)
            f" VALUES ({', '.join(['%s'] * len(values))})"
            " ON CONFLICT (connector, update_id) DO NOTHING RETURNING id",
            prepared,
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


def _store_rejected(connector: str, update_id: str, kind: str, payload: dict[str, Any], where: str, why: str) -> bool:
    where = {"$[0]": "update id", "$[1]": "type"}.get(where, where.replace("$[2]", "payload", 1))
    note = f"Rejected, never processed: the {where} {why}, which the database cannot store."
    _, created = RawUpdate.objects.get_or_create(
        connector=connector,
        update_id=storable_copy(update_id),
        defaults={
            "kind": storable_copy(kind)[:64],
            "payload": storable_copy(payload),
            "state": RawUpdateState.FAILED,
            "note": note[:500],
            "processed_at": timezone.now(),
        },
    )
    if created:
        logger.warning("%s update rejected: %s", connector, note)
    return created


# A claim older than this is taken to be from a worker that died mid-way.
STALE_CLAIM = timedelta(minutes=10)


def claim(raw_id: int) -> RawUpdate | None:
    """Take the row for processing: one conditional UPDATE, so a worker and the sweep never both
    run one update (a button press would otherwise be handled twice)."""
    stale = timezone.now() - STALE_CLAIM
    waiting = Q(state=RawUpdateState.RECEIVED) | Q(state=RawUpdateState.PROCESSING, processed_at__lt=stale)
    taken = RawUpdate.objects.filter(waiting, pk=raw_id).update(
        state=RawUpdateState.PROCESSING, processed_at=timezone.now()
    )
    return RawUpdate.objects.get(pk=raw_id) if taken else None


def process_stored(raw_id: int) -> Outcome | None:
    """Process a stored update unless that already happened; never raises for bad content."""
    raw = claim(raw_id)
    if raw is None:
        return None
    return process_row(raw)


def process_row(raw: RawUpdate) -> Outcome:
    processor = _processors.get(raw.connector)
    if processor is None:
        outcome = ignored(f"No processor for {raw.connector}.")
    else:
        try:
            outcome = processor(raw.payload)
        except ChatError as exc:
            outcome = Outcome(RawUpdateState.FAILED, f"Refused: {exc.message}")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            outcome = Outcome(RawUpdateState.FAILED, f"Malformed {raw.kind or 'update'}: {exc!r}")
    if outcome.state != RawUpdateState.PROCESSED:
        logger.warning("%s update %s (%s): %s %s", raw.connector, raw.update_id, raw.kind, outcome.state, outcome.note)
    RawUpdate.objects.filter(pk=raw.pk).update(
        state=outcome.state, note=outcome.note[:500], processed_at=timezone.now()
    )
    return outcome


@shared_task(name="connectors.tasks.process_raw_update", acks_late=True)
def process_raw_update(raw_id: int) -> str | None:
    outcome = process_stored(raw_id)
    return outcome.state if outcome else None


@shared_task(name="connectors.tasks.process_leftover_updates")
def process_leftover_updates() -> int:
    """A safety net for updates stored while the broker was down: process what is still waiting."""
    now = timezone.now()
    stale = Q(state=RawUpdateState.PROCESSING, processed_at__lt=now - STALE_CLAIM)
    waiting = RawUpdate.objects.filter(
        Q(state=RawUpdateState.RECEIVED) | stale, received_at__lt=now - timedelta(minutes=1)
    )
    done = 0
    for raw_id in waiting.order_by("id").values_list("pk", flat=True)[:500]:
        done += process_stored(raw_id) is not None
    return done
