"""Search reads: messages and conversations matching a query, newest first, only what the asker may read.

PostgreSQL matches the generated ``chat_message.search_vector`` (GIN index) and orders by
``(created_at, id)`` (btree). Over ten million messages the plan that is fast depends on how many
match, and the planner, left alone with ``ORDER BY created_at DESC LIMIT 21``, walks every row for
a word it cannot find in its statistics. So its estimate (``EXPLAIN``) picks one of two ways:

- many matches (common words): newest first, testing each row, in time windows (a week, a month,
  four months, sixteen, then the rest) until the page is full;
- few (rare words, words that seldom meet): the newest six hours walked, then the GIN index's matches
  of the rest sorted.

Measured, with what each step bought, in docs/benchmarks.md ("Search").
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace

from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet, Subquery, TextField
from django.db.models.expressions import RawSQL
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from chat.models import Connector, Contact, Conversation, Message, Operator, Reason
from search import query as q
from search.forms import format_cursor
from workspace.history_filters import HistoryFilters
from workspace.selectors import readable_by

PAGE_SIZE = 20
CONVERSATIONS_SHOWN = 10
# The newest customers whose name matches that are looked at (a name shared by thousands is no lead).
CONTACTS_MATCHED = 200
# Newest-first time windows, in days back from the top of the page; the last one is open-ended.
WINDOW_DAYS = (7, 30, 120, 480)
# Up to this many expected matches the index's matches are sorted; above, the newest-first walk. A
# word missing from the column's statistics is estimated at half the rarest word they hold (about
# 50,000 on the benchmark year): such words are rare, so they must fall below this.
FEW_MATCHES = 60_000
# How far back the few-matches way walks row by row before it reads the GIN index (about 7,000
# messages of the benchmark year): a page of words that always come together fits in it.
NEWEST_WALKED = dt.timedelta(hours=6)
# With a rating filter the "few" plan costs every message of the rated chats (170,000 for 1-2 stars
# on the benchmark year), so such a search walks newest first whenever a page is expected within
# this many messages (the walk reads each row once; a page of "возврат" in low-rated chats: 15,000).
RATED_WALK_ROWS = 40_000
HEADLINE_OPTIONS = f"StartSel={q.START}, StopSel={q.STOP}, MaxWords=30, MinWords=12"
NAME_HEADLINE_OPTIONS = f"StartSel={q.START}, StopSel={q.STOP}, HighlightAll=true"


@dataclass(frozen=True)
class MessageHit:
    message_id: int
    conversation_id: int
    created_at: dt.datetime
    author_kind: str
    author_name: str
    is_note: bool
    connector: str
    contact_name: str
    headline: SafeString
    url: str

    @property
    def connector_label(self) -> str:
        return str(dict(Connector.choices).get(self.connector, self.connector))


@dataclass(frozen=True)
class ConversationHit:
    conversation_id: int
    created_at: dt.datetime
    connector: str
    state: str
    contact_name: SafeString
    reason: str
    url: str


@dataclass(frozen=True)
class SearchResults:
    messages: list[MessageHit] = field(default_factory=list)
    conversations: list[ConversationHit] = field(default_factory=list)
    next_cursor: str | None = None
    # The query had words but all were too common to search for ("the", "и"): say so, not "nothing".
    only_stop_words: bool = False


def transcript_url(conversation_id: int, message_id: int | None = None) -> str:
    """Where the read-only transcript shows this conversation (at this message)."""
    try:
        base = reverse("history-transcript", args=[conversation_id])
    except NoReverseMatch:
        base = f"/workspace/history/{conversation_id}/"
    return base + (f"#message-{message_id}" if message_id else "")


def search(
    *,
    operator: Operator,
    text: str,
    filters: HistoryFilters | None = None,
    before: tuple[dt.datetime, int] | None = None,
    limit: int = PAGE_SIZE,
) -> SearchResults:
    """Messages (a page, newest first, after ``before``) and, on the first page, conversations whose
    customer name or reason matches ``text``; only from conversations ``operator`` may read."""
    filters = filters or HistoryFilters()
    terms = q.parse(text)
    if not terms:
        return SearchResults()
    readable = _readable(operator, filters)
    readable_chats = _readable(operator, filters, prefix="")
    if connection.vendor == "postgresql":
        tsquery = _tsquery(terms)
        if tsquery is None:
            return SearchResults(only_stop_words=True)
        with transaction.atomic():
            # Compiling a plan to machine code (JIT) costs more than these index reads take: off here.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
            matched = _messages_pg(readable, filters, tsquery, before, limit)
            conversations = [] if before else _conversations_pg(readable_chats, tsquery)
    else:
        stems = q.fallback_stems(terms)
        matched = _messages_fallback(readable, filters, stems, before, limit)
        conversations = [] if before else _conversations_fallback(readable_chats, stems)
    page = matched[:limit]
    last = page[-1] if len(matched) > limit else None
    return SearchResults(
        messages=page,
        conversations=conversations,
        next_cursor=format_cursor(last.created_at, last.message_id) if last else None,
    )


def _readable(operator: Operator, filters: HistoryFilters, prefix: str = "conversation__") -> Q:
    """Access and the conversation filters, as lookups from a message (or, without prefix, a conversation).

    From a message the channel is the message's own column (no join); every other filter is on its
    conversation.
    """
    if prefix:
        # The channel is the message's own column; the rating is added by _message_rows.
        condition = replace(filters, connector="", rating=None, low_rating=False).conversation_q(prefix)
    else:
        condition = filters.conversation_q()
        start, end = filters.time_range()
        if start:
            condition &= Q(created_at__gte=start)
        if end:
            condition &= Q(created_at__lt=end)
    if not operator.is_manager:
        if prefix:
            condition &= Q(conversation__in=Subquery(Conversation.objects.filter(readable_by(operator)).values("pk")))
        else:
            condition &= readable_by(operator)
    return condition


def _tsquery(terms: list[q.Term]) -> str | None:
    """The query's ``tsquery`` as text (None when only stop words remain), passed on as a literal so
    the planner sees its words' frequencies."""
    expression, params = q.tsquery_sql(terms)
    with connection.cursor() as cursor:
        # The expression is built from fixed pieces; the user's words are parameters.
        cursor.execute(f"SELECT (x.q)::text, numnode(x.q) FROM (SELECT {expression} AS q) x", params)  # noqa: S608
        text, nodes = cursor.fetchone()
    return text if nodes else None


def _message_rows(
    readable: Q, filters: HistoryFilters, before: tuple[dt.datetime, int] | None, *, rated_first: bool = True
) -> QuerySet[Message]:
    """``rated_first=False`` writes the rating filter as ``conversation_id + 0 IN (...)``, which the
    planner cannot start from: it then reads the word's GIN matches and tests each against the rated
    chats (a hashed set), instead of fetching every message of every rated chat."""
    rows = Message.objects.filter(readable)
    rated = filters.rated_conversations()
    if rated is not None and rated_first:
        rows = rows.filter(conversation_id__in=Subquery(rated))
    elif rated is not None:
        rows = rows.alias(rated_chat=F("conversation_id") + 0).filter(rated_chat__in=Subquery(rated))
    if filters.connector:
        rows = rows.filter(connector=filters.connector)  # the message's own column: no join needed
    start, end = filters.time_range()
    if start:
        rows = rows.filter(created_at__gte=start)
    if end:
        rows = rows.filter(created_at__lt=end)
    if before:
        at, message_id = before
        # The bound on created_at alone is what an index range can use; the tie on id is a filter.
        rows = rows.filter(Q(created_at__lte=at), Q(created_at__lt=at) | Q(id__lt=message_id))
    return rows


def _messages_pg(
    readable: Q, filters: HistoryFilters, tsquery: str, before: tuple[dt.datetime, int] | None, limit: int
) -> list[MessageHit]:
    matching = RawSQL("chat_message.search_vector @@ %s::tsquery", [tsquery], output_field=BooleanField())
    base = _message_rows(readable, filters, before)
    rows = base.filter(matching)
    if _few(_estimated_rows(rows), filters, limit):
        if filters.rates() and _estimated_rows(Message.objects.filter(matching)) <= FEW_MATCHES:
            # A rare word: its own matches are fewer than the rated chats' messages; start from them.
            base = _message_rows(readable, filters, before, rated_first=False)
            rows = base.filter(matching)
        # The same test in a form the GIN index cannot serve: only a walk (or the filters' indexes) can.
        unindexed = RawSQL("(chat_message.search_vector || ''::tsvector) @@ %s::tsquery", [tsquery])
        found = _few_matches(rows, base.filter(ExpressionWrapper(unindexed, BooleanField())), filters, before, limit)
    else:
        # Common words: newest first, testing each row, until the page is full.
        found = _in_windows(rows.order_by("-created_at", "-id"), filters, before, limit, WINDOW_DAYS)
    headline = RawSQL(  # noqa: S611 (fixed SQL, values as parameters)
        f"ts_headline(%s::regconfig, {q.headline_sql('chat_message.text')}, %s::tsquery, %s)",
        [q.CONFIG, tsquery, HEADLINE_OPTIONS],
        output_field=TextField(),
    )
    return _hits(found, headline=headline)


def _few(expected: float, filters: HistoryFilters, limit: int) -> bool:
    """Whether to read the GIN index's matches (few) rather than walk newest first.

    Without a rating filter: up to ``FEW_MATCHES`` expected. With one, the few-matches plan starts
    from the rated chats and fetches all their messages, so the walk is taken whenever it is
    expected to fill a page within ``RATED_WALK_ROWS`` messages (docs/benchmarks.md, "Search").
    """
    if not filters.rates():
        return expected <= FEW_MATCHES
    walked = (limit + 1) * _table_rows() / max(expected, 1.0)
    return walked > RATED_WALK_ROWS


def _table_rows() -> float:
    """The planner's count of messages (``reltuples``: kept by ANALYZE, no scan)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'chat_message'")
        row = cursor.fetchone()
    return max(float(row[0]) if row else 0.0, 0.0)


def _few_matches(
    rows: QuerySet[Message],
    walked: QuerySet[Message],
    filters: HistoryFilters,
    before: tuple[dt.datetime, int] | None,
    limit: int,
) -> list[int]:
    """Words the statistics call rare, or that seldom meet.

    The estimate is wrong for words that always come together (a phrase's, "cancel" and "order"):
    reading both from the GIN index then costs their whole posting lists. So the newest six hours are
    walked first (``walked``: the same test, which the GIN index cannot serve); they fill a page at
    once for those. Only if they do not are the rest of the matches read from the GIN index and
    sorted, ordered on an expression so the planner does not walk every row.
    """
    start, end = filters.time_range()
    top = min(t for t in (end, before[0] if before else None, timezone.now()) if t is not None)
    day = top - NEWEST_WALKED
    if start is not None and day < start:
        day = start
    newest_day = walked.filter(created_at__gte=day).order_by("-created_at", "-id").values_list("id", flat=True)
    found = list(newest_day[: limit + 1])
    if len(found) > limit:
        return found
    newest = RawSQL("chat_message.created_at + interval '0 seconds'", [])
    older = rows.filter(created_at__lt=day).order_by(newest.desc(), "-id").values_list("id", flat=True)
    return found + list(older[: limit + 1 - len(found)])


def _estimated_rows(rows: QuerySet[Message]) -> float:
    """How many messages the planner expects to match (words' statistics times the filters)."""
    sql, params = rows.values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"])


def _in_windows(
    rows: QuerySet[Message],
    filters: HistoryFilters,
    before: tuple[dt.datetime, int] | None,
    limit: int,
    windows: tuple[int, ...],
) -> list[int]:
    """``rows`` (ordered newest first) a time window at a time, from the newest back, until the page
    is full; the last window is open-ended."""
    start, end = filters.time_range()
    top = min(t for t in (end, before[0] if before else None, timezone.now()) if t is not None)
    found: list[int] = []
    upper: dt.datetime | None = None  # the window's end (exclusive); None: no bound beyond the filters
    for days in (*windows, None):
        lower = top - dt.timedelta(days=days) if days is not None else None
        if lower is not None and start is not None and lower <= start:
            lower = None  # the date filter ends the search before this window would
        window = rows
        if upper is not None:
            window = window.filter(created_at__lt=upper)
        if lower is not None:
            window = window.filter(created_at__gte=lower)
        found += window.values_list("id", flat=True)[: limit + 1 - len(found)]
        if len(found) > limit or lower is None:
            break
        upper = lower
    return found


def _messages_fallback(
    readable: Q, filters: HistoryFilters, stems: list[list[str]], before: tuple[dt.datetime, int] | None, limit: int
) -> list[MessageHit]:
    rows = _message_rows(readable, filters, before).filter(_contains_all("text", stems))
    ids = list(rows.order_by("-created_at", "-id").values_list("id", flat=True)[: limit + 1])
    return _hits(ids, stems=stems)


def _hits(ids: list[int], *, headline: RawSQL | None = None, stems: list[list[str]] | None = None) -> list[MessageHit]:
    rows = Message.objects.filter(pk__in=ids).select_related("conversation__contact", "author")
    if headline is not None:
        rows = rows.annotate(headline=headline)
    by_id = {message.pk: message for message in rows}
    hits = []
    for pk in ids:
        message = by_id[pk]
        if headline is not None:
            marked = q.headline_html(message.headline)  # type: ignore[attr-defined]
        else:
            marked = q.fallback_headline(message.text, stems or [])
        hits.append(
            MessageHit(
                message_id=pk,
                conversation_id=message.conversation_id,
                created_at=message.created_at,
                author_kind=message.author_kind,
                author_name=message.author.display_name if message.author else "",
                is_note=message.is_note,
                connector=message.connector,
                contact_name=message.conversation.contact.name,
                headline=marked,
                url=transcript_url(message.conversation_id, pk),
            )
        )
    return hits


def _conversation_rows(readable: Q, matches: Q) -> QuerySet[Conversation]:
    rows = Conversation.objects.filter(readable).filter(matches).select_related("contact", "reason")
    return rows.order_by("-created_at", "-id")[:CONVERSATIONS_SHOWN]


def _conversations_pg(readable: Q, tsquery: str) -> list[ConversationHit]:
    """Conversations of customers whose name matches, or with a matching reason. The matching ids are
    fetched first (a few index reads) so a query matching neither costs nothing more: an empty
    semi-join would still walk every conversation newest first looking for one."""
    name_matches = "to_tsvector('russian'::regconfig, chat_contact.name) @@ %s::tsquery"
    contacts = Contact.objects.filter(RawSQL(name_matches, [tsquery], output_field=BooleanField()))  # noqa: S611
    reasons = Reason.objects.filter(
        RawSQL(
            "to_tsvector('russian'::regconfig, chat_reason.category || ' ' || chat_reason.name_en || ' '"
            " || chat_reason.name_ru) @@ %s::tsquery",
            [tsquery],
            output_field=BooleanField(),
        )
    )
    newest = RawSQL("chat_contact.id + 0", [])
    contact_ids = list(contacts.order_by(newest.desc()).values_list("pk", flat=True)[:CONTACTS_MATCHED])
    reason_ids = list(reasons.values_list("pk", flat=True))
    if not contact_ids and not reason_ids:
        return []
    name_headline = RawSQL(  # noqa: S611 (fixed SQL, values as parameters)
        f"ts_headline(%s::regconfig, {q.headline_sql('chat_contact.name')}, %s::tsquery, %s)",
        [q.CONFIG, tsquery, NAME_HEADLINE_OPTIONS],
        output_field=TextField(),
    )
    matches = Q(contact_id__in=contact_ids) | Q(reason_id__in=reason_ids)
    rows = _conversation_rows(readable, matches).annotate(name_headline=name_headline)
    return [_conversation_hit(chat, q.headline_html(chat.name_headline)) for chat in rows]


def _conversations_fallback(readable: Q, stems: list[list[str]]) -> list[ConversationHit]:
    reason_text = Q()
    for field_name in ("reason__name_en", "reason__name_ru", "reason__category"):
        reason_text |= _contains_all(field_name, stems)
    rows = _conversation_rows(readable, _contains_all("contact__name", stems) | reason_text)
    return [_conversation_hit(chat, q.fallback_headline(chat.contact.name, stems)) for chat in rows]


def _conversation_hit(chat: Conversation, name: SafeString) -> ConversationHit:
    return ConversationHit(
        conversation_id=chat.pk,
        created_at=chat.created_at,
        connector=chat.connector,
        state=chat.state,
        contact_name=name,
        reason=str(chat.reason) if chat.reason else "",
        url=transcript_url(chat.pk),
    )


def _contains_all(field_name: str, stems: list[list[str]]) -> Q:
    """Every piece occurs in the field. SQLite's LIKE folds only ASCII case, so a Cyrillic piece is
    also tried capitalized and in capitals."""
    condition = Q()
    for group in stems:
        for piece in group:
            variants = {piece, piece.capitalize(), piece.upper()}
            either = Q()
            for variant in variants:
                either |= Q(**{f"{field_name}__contains": variant})
            condition &= either
    return condition
