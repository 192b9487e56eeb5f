"""While the database cannot take an update, webhooks answer 5xx so Telegram and VK retry later:
the "answer so they stop retrying" rule is for content that can never be stored, not for outages.
PostgreSQL only (a real lock held by another session makes the insert fail, as an outage would)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psycopg
import pytest
from django.db import connection
from django.test import Client

from connectors.models import RawUpdate
from tests.connectors.conftest import TG_SECRET, fixture

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def raw_updates_locked() -> Iterator[Callable[[], None]]:
    """Another session holds the raw update table; ours gives up waiting after 300 ms."""
    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"] or 5432
    )
    other.execute(f"LOCK TABLE {RawUpdate._meta.db_table} IN ACCESS EXCLUSIVE MODE")
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '300ms'")
    yield other.rollback  # the outage ends
    other.rollback()
    other.close()
    with connection.cursor() as cursor:  # a pooled session goes on to the next test
        cursor.execute("RESET lock_timeout")
    connection.close()


def test_telegram_gets_a_5xx_while_the_update_cannot_be_stored_and_a_200_after(
    fake_telegram, queues, raw_updates_locked
):
    client = Client(raise_request_exception=False)
    update = fixture("telegram", "message__text")
    headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    response = client.post(
        "/connectors/telegram/webhook/", data=update, content_type="application/json", headers=headers
    )
    assert response.status_code >= 500

    raw_updates_locked()  # Telegram retries once the database is back
    assert RawUpdate.objects.count() == 0
    retried = client.post(
        "/connectors/telegram/webhook/", data=update, content_type="application/json", headers=headers
    )
    assert retried.status_code == 200
    assert RawUpdate.objects.count() == 1


def test_vk_gets_a_5xx_while_the_event_cannot_be_stored(fake_vk, queues, raw_updates_locked):
    client = Client(raise_request_exception=False)
    response = client.post(
        "/connectors/vk/callback/", data=fixture("vk", "message_new__text"), content_type="application/json"
    )
    assert response.status_code >= 500
    assert response.content != b"ok"
