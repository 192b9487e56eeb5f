"""Help search: the one selector behind the widget, the operators' panel and both JSON APIs.

``search_articles(query, language)`` returns the best published answers in that language, best first.

- **PostgreSQL**: full-text search on the generated ``search_vector`` (the ``russian`` or ``english``
  configuration: "доставки" finds "доставка", "delivered" finds "delivery"), the question's words
  OR-ed so a long question still matches, ranked by ``ts_rank`` (title weighted above body, long
  texts damped so an article that merely mentions everything does not win); plus
  pg_trgm's ``word_similarity`` of each question word against the titles, so a typo ("delivry",
  "доствка") still finds its article. Both use indexes (GIN on the vector, GIN trigram on the title).
- **SQLite** (the embedded default): the same idea in Python over the language's published articles,
  with :mod:`kb.stemming`'s suffix stripping, stem prefixes and a close-match ratio for typos.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from kb.models import LANGUAGES, ArticleTranslation
from kb.stemming import STOP_WORDS, stems, words

QUERY_MAX_CHARS = 200
MAX_WORDS = 12
# A question word this close to a title word (pg_trgm's word_similarity) counts as that word misspelt.
TYPO_SIMILARITY = 0.45
TYPO_WEIGHT = 0.3
PG_CONFIGS = {"en": "english", "ru": "russian"}
# How many of the best text matches, and of the typo matches, get the full score (PostgreSQL).
CANDIDATES = 50


@dataclass(frozen=True)
class HelpAnswer:
    """One answer as every client shows it."""

    article_id: int
    key: str
    language: str
    title: str
    summary: str
    path: str

    def as_json(self, base_url: str) -> dict[str, Any]:
        """``base_url``: the address the asker reached us by (``https://chat.shop.example``), so the
        link works wherever it is pasted."""
        return {
            "article_id": self.article_id,
            "key": self.key,
            "language": self.language,
            "title": self.title,
            "summary": self.summary,
            "url": base_url.rstrip("/") + self.path,
        }


def clean_language(language: str | None) -> str:
    language = (language or "").lower()[:2]
    return language if language in LANGUAGES else "en"


def clean_query(query: str | None) -> str:
    return " ".join((query or "").replace("\x00", " ").split())[:QUERY_MAX_CHARS]


def answer_for(translation: ArticleTranslation, key: str) -> HelpAnswer:
    return HelpAnswer(
        article_id=translation.article_id,
        key=key,
        language=translation.language,
        title=translation.title,
        summary=translation.summary,
        path=translation.get_absolute_url(),
    )


def search_articles(query: str, language: str, limit: int = 3) -> list[HelpAnswer]:
    """The ``limit`` best published answers to ``query`` in ``language`` (en or ru), best first."""
    query, language = clean_query(query), clean_language(language)
    if not query or limit < 1:
        return []
    if connection.vendor == "postgresql":
        return _postgres_answers(query, language, limit)
    ids = _python_ranked_ids(query, language, limit)
    found = {t.pk: t for t in ArticleTranslation.objects.filter(pk__in=ids).select_related("article")}
    return [answer_for(found[pk], found[pk].article.key) for pk in ids if pk in found]


# --- PostgreSQL -----------------------------------------------------------------------------------


def _typo_words(query: str, language: str) -> list[str]:
    stop = STOP_WORDS[language]
    return list(dict.fromkeys(w for w in words(query) if len(w) >= 4 and w not in stop))[:MAX_WORDS]


def _postgres_answers(query: str, language: str, limit: int) -> list[HelpAnswer]:
    """Two steps, so the cost follows the best candidates and not every article sharing a common word:
    the ``CANDIDATES`` best by text rank, plus those whose title is close to a question word (a typo),
    each from its index; only those few get the full score."""
    typo_words = _typo_words(query, language)
    # Each word's trigram test is its own indexable condition (title %> word).
    typo_match = " OR ".join("t.title %%> %s" for _ in typo_words) or "false"
    sql = f"""
        WITH q AS (
            SELECT replace(plainto_tsquery(%s::regconfig, %s)::text, ' & ', ' | ')::tsquery AS tsq
        ),
        text_hits AS (
            SELECT t.id, ts_rank(t.search_vector, q.tsq, 1 | 32) AS rank
            FROM kb_articletranslation t, q
            WHERE t.language = %s AND t.published AND t.search_vector @@ q.tsq
            ORDER BY rank DESC
            LIMIT %s
        ),
        typo_hits AS (
            SELECT t.id FROM kb_articletranslation t
            WHERE t.language = %s AND t.published AND ({typo_match})
            ORDER BY (SELECT max(word_similarity(w, t.title)) FROM unnest(%s::text[]) AS w) DESC
            LIMIT %s
        ),
        candidates AS (SELECT id FROM text_hits UNION SELECT id FROM typo_hits)
        SELECT t.id, t.article_id, a.key, t.language, t.title, t.summary, t.slug,
               COALESCE(h.rank, 0)
               + %s * COALESCE((
                   SELECT sum(s) FROM (
                       SELECT word_similarity(w, t.title) AS s FROM unnest(%s::text[]) AS w
                   ) AS sims WHERE s >= %s
               ), 0) AS score
        FROM candidates c
        JOIN kb_articletranslation t ON t.id = c.id
        JOIN kb_article a ON a.id = t.article_id
        LEFT JOIN text_hits h ON h.id = c.id
        ORDER BY score DESC, t.article_id
        LIMIT %s
    """  # noqa: S608 - only placeholders are formatted in
    params: list[Any] = [PG_CONFIGS[language], query, language, CANDIDATES, language, *typo_words, typo_words]
    params.append(CANDIDATES)
    params += [TYPO_WEIGHT, typo_words, TYPO_SIMILARITY, limit]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)", [str(TYPO_SIMILARITY)])
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        HelpAnswer(
            article_id=article_id,
            key=key,
            language=lang,
            title=title,
            summary=summary,
            path=ArticleTranslation(language=lang, slug=slug).get_absolute_url(),
        )
        for _id, article_id, key, lang, title, summary, slug, _score in rows
    ]


# --- SQLite and anything else -----------------------------------------------------------------------

TITLE_WEIGHT = 3.0
BODY_WEIGHT = 1.0
PREFIX_FACTOR = 0.6
TYPO_FACTOR = 0.5
TYPO_RATIO = 0.8


def stems_match(asked: str, written: str) -> float:
    """1 for the same stem, less for one stem the prefix of the other or a likely typo, else 0."""
    if asked == written:
        return 1.0
    shorter, longer = sorted((asked, written), key=len)
    if len(shorter) >= 5 and longer.startswith(shorter):
        return PREFIX_FACTOR
    close_in_length = len(shorter) >= 4 and abs(len(asked) - len(written)) <= 2
    if close_in_length and difflib.SequenceMatcher(None, asked, written).ratio() >= TYPO_RATIO:
        return TYPO_FACTOR
    return 0.0


def _best(asked: str, written: set[str]) -> float:
    if asked in written:
        return 1.0
    return max((stems_match(asked, w) for w in written), default=0.0)


def _python_ranked_ids(query: str, language: str, limit: int) -> list[int]:
    asked = list(dict.fromkeys(stems(query, language)))[:MAX_WORDS]
    if not asked:
        return []
    scored: list[tuple[float, int, int]] = []
    rows = ArticleTranslation.objects.filter(language=language, published=True).values_list(
        "id", "article_id", "title", "body"
    )
    for pk, article_id, title, body in rows.iterator(chunk_size=500):
        title_stems, body_stems = set(stems(title, language)), set(stems(body, language))
        score = sum(
            max(TITLE_WEIGHT * _best(word, title_stems), BODY_WEIGHT * _best(word, body_stems)) for word in asked
        )
        if score > 0:
            scored.append((-score, article_id, pk))
    scored.sort()
    return [pk for _, _, pk in scored[:limit]]
