"""Build check: the widget a shop embeds stays small, self-contained and one tag away."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

WIDGET_DIR = Path(settings.BASE_DIR) / "static" / "widget"
BUDGET_GZIPPED_BYTES = 25 * 1024


def test_widget_js_and_css_fit_in_25_kb_gzipped() -> None:
    files = sorted(p for p in WIDGET_DIR.iterdir() if p.suffix in (".js", ".css"))
    assert any(p.name == "widget.js" for p in files)
    total = sum(len(gzip.compress(p.read_bytes(), compresslevel=9)) for p in files)
    assert total <= BUDGET_GZIPPED_BYTES, f"widget is {total} bytes gzipped, budget {BUDGET_GZIPPED_BYTES}"


def test_widget_loads_no_framework_cdn_or_html_sink() -> None:
    source = (WIDGET_DIR / "widget.js").read_text()
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", source.split("*/", 1)[1])
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in source


@pytest.mark.embedded
@pytest.mark.django_db
def test_demo_shop_embeds_the_widget_with_one_script_tag() -> None:
    page = Client().get("/").content.decode()
    # The widget is one tag; the demo's other script is the shop's own cart, which calls setCart.
    assert re.findall(r'<script[^>]*src="([^"]+)"', page) == ["/static/widget/widget.js", "/static/demo/shop.js"]
    assert page.count("<script") == 2
