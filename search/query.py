"""A search string as terms: words, ``"exact phrases"`` and ``prefix*`` words, all of which must match.

PostgreSQL turns each term into a ``tsquery`` with the ``russian`` configuration (Russian stemming for
Cyrillic words, English stemming for Latin ones: "заказы" finds "заказ", "orders" finds "order").
SQLite, the embedded default, has no stemmer: it looks for each word with a few endings cut off,
case-folded, which finds most word forms and a few words that merely start alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

CONFIG = "russian"
MAX_TERMS = 12
# Markers ts_headline puts around a hit: private-use characters, stripped from the text beforehand, so
# a message cannot forge them. The headline is escaped first and only then do they become <mark>.
START, STOP = "\ue000", "\ue001"
# ts_headline's parser would drop anything shaped like an HTML tag from the passage; ``<`` and ``>``
# go in as these and come back out, so the operator reads exactly what the stranger sent (escaped).
LT, GT = "\ue002", "\ue003"

_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+")
# Endings cut for the SQLite fallback (longest first); a stem keeps at least four letters.
_ENDINGS = sorted(
    {
        *"ами ями ого его ому ему ыми ими ой ей ом ем ах ях ов ев ый ий ая яя ое ее ые ие ую юю ть".split(),  # noqa: SIM905
        *"а я о е ы и у ю ь ing ed es s".split(),  # noqa: SIM905
    },
    key=len,
    reverse=True,
)


@dataclass(frozen=True)
class Term:
    kind: Literal["word", "phrase", "prefix"]
    text: str  # the words as the user typed them (a phrase: several)


def parse(search: str) -> list[Term]:
    """Split a search string into terms; punctuation inside words is left to the text-search parser."""
    terms: list[Term] = []
    for match in _TOKEN.finditer(search):
        phrase, word = match.group(1), match.group(2)
        if phrase is not None:
            if _WORD.search(phrase):
                terms.append(Term("phrase", " ".join(phrase.split())))
        elif word.endswith("*") and _WORD.search(word):
            terms.append(Term("prefix", "".join(_WORD.findall(word))))
        elif _WORD.search(word):
            terms.append(Term("word", word))
    return terms[:MAX_TERMS]


def tsquery_sql(terms: list[Term]) -> tuple[str, list[str]]:
    """A SQL expression (and its parameters) whose value is the ``tsquery`` of all terms ANDed.

    A prefix is stemmed and also taken as typed ("достав*" and "доставка*" both find "доставку").
    """
    parts: list[str] = []
    params: list[str] = []
    for term in terms:
        if term.kind == "phrase":
            parts.append(f"phraseto_tsquery('{CONFIG}', %s)")
            params.append(term.text)
        elif term.kind == "prefix":
            parts.append(f"(to_tsquery('{CONFIG}', %s) || to_tsquery('simple', %s))")
            params += [term.text + ":*", term.text + ":*"]
        else:
            parts.append(f"plainto_tsquery('{CONFIG}', %s)")
            params.append(term.text)
    return " && ".join(parts) or "''::tsquery", params


def fallback_stems(terms: list[Term]) -> list[list[str]]:
    """For SQLite: per term, the lower-cased pieces that must all occur in the text (a phrase: as one)."""
    stems: list[list[str]] = []
    for term in terms:
        if term.kind in ("phrase", "prefix"):
            stems.append([term.text.lower()])
        else:
            stems.append([_stem(word) for word in _WORD.findall(term.text.lower())])
    return stems


def _stem(word: str) -> str:
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


def headline_sql(column: str) -> str:
    """SQL for the text ts_headline reads: markers removed, angle brackets stood in for."""
    return f"translate({column}, '<>{START}{STOP}{LT}{GT}', '{LT}{GT}')"


def headline_html(headline: str) -> SafeString:
    """A ts_headline with START/STOP markers as safe HTML: everything escaped, hits in <mark>."""
    escaped = str(escape(headline.replace(LT, "<").replace(GT, ">")))
    return mark_safe(escaped.replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S308 (escaped above)


def strip_markers(text: str) -> str:
    return text.replace(START, "").replace(STOP, "").replace(LT, "").replace(GT, "")


def fallback_headline(text: str, stems: list[list[str]], width: int = 200) -> SafeString:
    """The SQLite headline: the text around the first hit (at most ``width`` characters), every piece
    that matched in <mark>, escaped like the PostgreSQL one."""
    text = strip_markers(text)
    lowered = text.lower()
    pieces = sorted({piece for group in stems for piece in group if piece}, key=len, reverse=True)
    spans: list[tuple[int, int]] = []
    for piece in pieces:
        for found in re.finditer(re.escape(piece), lowered):
            start, end = found.start(), found.end()
            while end < len(text) and text[end].isalnum():  # the rest of the word, as PostgreSQL marks words
                end += 1
            if not any(start < other_end and other_start < end for other_start, other_end in spans):
                spans.append((start, end))
    spans.sort()
    window_start = max(0, spans[0][0] - width // 3) if spans else 0
    window_end = min(len(text), window_start + width)
    marked: list[str] = []
    position = window_start
    for start, end in spans:
        if start < position or end > window_end:
            continue
        marked += [text[position:start], START, text[start:end], STOP]
        position = end
    marked.append(text[position:window_end])
    prefix = "… " if window_start > 0 else ""
    suffix = " …" if window_end < len(text) else ""
    return headline_html(prefix + "".join(marked) + suffix)
