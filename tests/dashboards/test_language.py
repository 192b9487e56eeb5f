"""Every manager screen in Russian: each string it asks our catalogue for is translated, no English is left."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.utils.translation import trans_real

from chat.actions import InboundMessage, do_receive_inbound, do_set_operator_status
from chat.actions.setup import do_create_operator
from workspace.figures import duration_text
from workspace.models import ServiceTarget
from workspace.tasks import check_service_targets

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.embedded]

DAY_QUERY = {"start": "2026-03-10", "end": "2026-03-10"}
# Latin words a Russian screen may show: names, acronyms, our product, the connectors' own names.
ALLOWED_LATIN = {"Switchboard", "CSV", "CSAT", "T", "Telegram", "VK", "Max", "Anna", "Boris"}
# Catalogue entries whose Russian is the same as the English.
SAME_IN_RUSSIAN = {"CSAT, %", "CSV", "Telegram"}


@pytest.fixture
def asked() -> Iterator[list[tuple[str, str]]]:
    """(msgid, what came back) for every lookup in our catalogue while a page renders."""
    seen: list[tuple[str, str]] = []
    original = trans_real.DjangoTranslation.gettext

    def recording(self: trans_real.DjangoTranslation, message: str) -> str:
        result = original(self, message)
        if self.language() == "ru":
            seen.append((message, result))
        return result

    # The stubs type gettext on NullTranslations; this records DjangoTranslation's own lookups.
    trans_real.DjangoTranslation.gettext = recording  # type: ignore[method-assign, assignment]
    try:
        yield seen
    finally:
        trans_real.DjangoTranslation.gettext = original  # type: ignore[method-assign]


@pytest.fixture
def russian_manager(queues) -> Client:
    do_create_operator(username="max", password="pw-123456", display_name="Max", is_manager=True, language="ru")
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    assert client.login(username="max", password="pw-123456")
    return client


def visible_text(page: str) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return html.unescape(body)


def a_busy_moment() -> None:
    """Anna holds two chats, one shopper waits, a target is missed: every live figure has a value."""
    anna = do_create_operator(username="anna", password="pw-123456", display_name="Anna", cap=2)
    do_set_operator_status(operator_id=anna.pk, status="online")
    for sender in ("s1", "s2", "s3"):
        do_receive_inbound(InboundMessage(connector="widget", sender_id=sender, text="hello"))
    ServiceTarget.objects.create(metric="max_queue_wait", threshold=0)
    check_service_targets()


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/workspace/dashboards/live/", {}),
        ("/workspace/dashboards/history/", DAY_QUERY),
        ("/workspace/dashboards/history/", {}),
        ("/workspace/dashboards/targets/", {}),
    ],
)
def test_each_manager_screen_is_russian_through_and_through(
    built_day, russian_manager: Client, asked: list[tuple[str, str]], path: str, query: dict[str, str]
) -> None:
    built_day()
    a_busy_moment()
    asked.clear()

    page = russian_manager.get(path, query)

    assert page.status_code == 200
    untranslated = sorted(
        {msgid for msgid, result in asked if result == msgid and msgid not in SAME_IN_RUSSIAN and msgid.strip()}
    )
    assert untranslated == [], f"no Russian for {untranslated}"
    assert asked, "the page asked the catalogue for nothing: the test would prove nothing"
    text = visible_text(page.content.decode())
    english = sorted(set(re.findall(r"[A-Za-z][A-Za-z'-]+", text)) - ALLOWED_LATIN)
    assert english == [], f"English left on {path}: {english}"


def test_the_live_screen_shows_concurrency_and_occupancy_while_chats_are_held(queues) -> None:
    do_create_operator(username="max", password="pw-123456", display_name="Max", is_manager=True)
    client = Client()
    assert client.login(username="max", password="pw-123456")
    a_busy_moment()

    page = client.get("/workspace/dashboards/live/").content.decode()

    for key in ("concurrency", "occupancy"):
        row = re.search(rf'<tr data-figure="{key}"><th>[^<]+</th><td>([^<]+)</td>', page)
        assert row is not None and row.group(1) != "–", f"{key}: {row and row.group(1)}"
    occupancy = re.search(r'<tr data-figure="occupancy"><th>[^<]+</th><td>([^<]+)</td>', page)
    assert occupancy is not None and occupancy.group(1).endswith(" %")
    assert "2 of 2" in page  # Anna's load, as people say it


@pytest.mark.parametrize(
    ("seconds", "english", "russian"),
    [
        (48, "48 s", "48 с"),
        (108, "1 min 48 s", "1 мин 48 с"),
        (120, "2 min", "2 мин"),
        (1570, "26 min", "26 мин"),
        (7500, "2 h 5 min", "2 ч 5 мин"),
        (None, "–", "–"),
    ],
)
def test_durations_read_as_people_say_them(seconds: float | None, english: str, russian: str) -> None:
    from django.utils import translation

    with translation.override("en"):
        assert duration_text(seconds) == english
    with translation.override("ru"):
        assert duration_text(seconds) == russian
