"""The widget's texts come from the server, in the shopper's language, from the gettext catalogue."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

WIDGET_JS = Path(settings.BASE_DIR) / "static" / "widget" / "widget.js"


def strings(lang: str) -> Any:
    response = Client().get("/connectors/widget/strings/", {"lang": lang})
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"  # the shop's own domain embeds the widget
    return response.json()


def test_a_russian_browser_gets_russian_texts_and_the_servers_length_limit() -> None:
    answer = strings("ru-RU")
    assert answer["language"] == "ru"
    assert answer["strings"]["open"] == "Открыть чат"
    assert answer["strings"]["input"] == "Ваше сообщение"
    assert answer["max_chars"] == settings.SWITCHBOARD_MESSAGE_MAX_CHARS


def test_every_text_is_translated_and_keeps_its_placeholders() -> None:
    english, russian = strings("en")["strings"], strings("ru")["strings"]
    assert english.keys() == russian.keys()
    untranslated = [key for key in english if english[key] == russian[key]]
    assert untranslated == []
    for key, text in english.items():
        assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", russian[key])), key


def test_an_unknown_or_missing_language_gets_the_default() -> None:
    assert strings("de-DE")["language"] == "en"
    assert strings("")["language"] == "en"
    assert strings("<script>")["strings"]["open"] == "Open chat"


def test_every_text_the_widget_asks_for_is_served() -> None:
    source = WIDGET_JS.read_text()
    asked = set(re.findall(r"\bt\(\"(\w+)\"", source))
    assert asked, 'the widget names its texts as t("key")'
    assert asked - strings("en")["strings"].keys() == set()
    # No texts of its own: no Cyrillic left in the file.
    assert not re.search(r"[А-Яа-яЁё]", source)
