"""Articles' Markdown to HTML that is safe to show on our pages and in the shop's.

Managers write the Markdown, but the pages are public and a manager's account can be stolen, so the
renderer trusts nothing: raw HTML is off (shown as text), links go only to ``http``, ``https``,
``mailto`` or a relative address, and images only from this site (a relative ``/...`` source), so an
article cannot load a tracker from elsewhere. Everything else is markdown-it's escaping.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.IGNORECASE)
SAFE_SCHEMES = {"http", "https", "mailto"}
SUMMARY_MAX = 400


def safe_link(url: str) -> bool:
    """http(s), mailto, or relative (no scheme at all). ``//host`` counts as http(s) elsewhere: fine."""
    # Browsers ignore tabs and newlines and leading control characters in a URL: so must we.
    cleaned = re.sub(r"[\x00-\x20]", "", url)
    match = _SCHEME.match(cleaned)
    return match is None or match.group(1).lower() in SAFE_SCHEMES


def same_site_image(url: str) -> bool:
    cleaned = re.sub(r"[\x00-\x20]", "", url)
    return cleaned.startswith("/") and not cleaned.startswith("//") and "\\" not in cleaned


def _render_image(renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    token = tokens[idx]
    if not same_site_image(str(token.attrGet("src") or "")):
        # An image from elsewhere shows as its alt text.
        return renderer.renderInlineAsText(token.children or [], options, env)
    return renderer.image(tokens, idx, options, env)


def _render_link_open(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    href = str(token.attrGet("href") or "")
    if not href.startswith(("/", "#")) and _SCHEME.match(href):
        token.attrSet("rel", "nofollow noopener noreferrer")
        token.attrSet("target", "_blank")
    return renderer.renderToken(tokens, idx, options, env)


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    md.enable("strikethrough")
    md.validateLink = safe_link  # type: ignore[method-assign]
    md.add_render_rule("image", _render_image)
    md.add_render_rule("link_open", _render_link_open)
    return md


_MD = _parser()


def render_markdown(text: str) -> str:
    """The article's HTML. A link that is not allowed stays as its text, with no ``href``."""
    return _MD.render(text)


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            parts.append(" ")
        elif child.type == "image":
            parts.append(_inline_text(child))
    return "".join(parts)


def first_paragraph(text: str) -> str:
    """The first paragraph as plain text (no Markdown), cut at a word near ``SUMMARY_MAX``."""
    tokens: list[Any] = _MD.parse(text)
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open" and index + 1 < len(tokens):
            summary = " ".join(_inline_text(tokens[index + 1]).split())
            if summary:
                if len(summary) > SUMMARY_MAX:
                    summary = summary[:SUMMARY_MAX].rsplit(" ", 1)[0] + "…"
                return summary
    return ""
