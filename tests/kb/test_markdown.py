"""Articles are public and a manager's account can be stolen: nothing in the Markdown may run."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from kb.markdown import first_paragraph, render_markdown

pytestmark = [pytest.mark.embedded]

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<iframe src='https://evil.example'></iframe>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](%20javascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(1)>",
    '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")',
    "![x](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<style>body{display:none}</style>",
]


class Elements(HTMLParser):
    """Every element the browser would build from the HTML, with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {name: value or "" for name, value in attrs}))


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = Elements()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_is_neutralised(text: str) -> None:
    for tag, attrs in elements(render_markdown(text)):
        assert tag in {"p", "a", "code", "em", "strong"}, tag
        assert not [name for name in attrs if name.startswith("on") or name == "style"], attrs
        for name in ("href", "src"):
            if name in attrs:
                scheme = re.match(r"^\s*([a-z][a-z0-9+.-]*):", attrs[name], re.IGNORECASE)
                assert scheme is None or scheme.group(1).lower() in {"http", "https", "mailto"}, attrs


def test_raw_html_is_shown_as_text() -> None:
    assert render_markdown("<b>hi</b>") == "<p>&lt;b&gt;hi&lt;/b&gt;</p>\n"


def test_allowed_links_and_same_site_images_stay() -> None:
    html = render_markdown(
        "[a](https://shop.example/x) [b](mailto:help@shop.example) [c](/help/en/x/) ![d](/static/d.png)"
    )
    assert '<a href="https://shop.example/x" rel="nofollow noopener noreferrer" target="_blank">a</a>' in html
    assert '<a href="mailto:help@shop.example"' in html
    assert '<a href="/help/en/x/">c</a>' in html
    assert '<img src="/static/d.png" alt="d"' in html


def test_images_from_elsewhere_show_their_alt_text_only() -> None:
    for source in ("https://tracker.example/p.gif", "//tracker.example/p.gif", "http://x/p.png"):
        assert render_markdown(f"![a pixel]({source})") == "<p>a pixel</p>\n"


def test_the_summary_is_the_first_paragraph_as_plain_text() -> None:
    assert first_paragraph("# Title\n\nWe ship **fast** to [you](https://x).\nAlways.\n\nMore.") == (
        "We ship fast to you. Always."
    )
    assert first_paragraph("<script>x</script>") == "<script>x</script>"  # plain text: escaped where shown
    assert first_paragraph("") == ""
