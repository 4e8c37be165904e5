"""Full-text search of a case's text, in the database's own engine.

The text lives in `CaseSearchEntry` (one row per message: subject, body, file
names; one row for the short description). The index over it is an FTS5 table on
SQLite and a GIN index on PostgreSQL (migration `cases.0004_search_index`); this
module is the only code that knows either, so callers see three functions:

- `matching_case_ids(text)`: a subquery of the ids of cases with a message that
  contains every word (as a prefix), for `pk__in` inside the log's filter;
- `search_snippets(case_ids=..., text=...)`: one escaped, highlighted excerpt per
  case, for the rows of one page, in one plain indexed query (cut in Python);
- `similar_cases(cases=..., text=...)`: the cases of a queryset whose text
  resembles `text` (any of its words, best first): the duplicate guard.

No function here widens what the caller passes in: the log filters the user's
visible cases with the subquery, and the snippets and suggestions are only read
for cases the caller already holds.
"""

# The SQL below is assembled from this module's constants and placeholders only;
# every value a user types travels as a query parameter.
# ruff: noqa: S608, S611

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from cases.models import Case, CaseSearchEntry

MAX_TERMS = 8
MAX_TERM_LENGTH = 40
START, STOP = "\x02", "\x03"
_WORD = re.compile(r"[^\W_]+")
# Words too common to say that two subjects resemble each other.
_STOPWORDS = """a an and are as at be by for from has have i in is it my no not of on or our
    please the this to was we with you your au aux avec ce ces dans de des du en est et
    il je la le les mais mon ne nous ou par pas pour que qui sur un une vos votre"""
STOPWORDS = frozenset(_STOPWORDS.split())

_PG_VECTOR = "to_tsvector('simple'::regconfig, subject || ' ' || body || ' ' || file_names)"
_FTS = "cases_search_fts"
_ENTRY = "cases_casesearchentry"
# The entry id (= FTS5 rowid) is `case_id << KEY_BITS | ordinal`, ordinal 0 being
# the description (see CaseSearchEntry): the case and the kind of every match
# are in the full-text index itself.
_CASE_OF_ROWID = f"({_FTS}.rowid >> {CaseSearchEntry.KEY_BITS})"
_IS_MESSAGE_ROWID = f"({_FTS}.rowid & {CaseSearchEntry.ORDINAL_MASK}) <> 0"


def search_terms(text: str, *, drop_stopwords: bool = False) -> list[str]:
    """The words of `text` the engines can match: lower-case, 2+ characters, at most 8."""
    terms: list[str] = []
    for word in _WORD.findall(text.lower()):
        word = word[:MAX_TERM_LENGTH]
        if len(word) < 2 or word in terms or (drop_stopwords and word in STOPWORDS):
            continue
        terms.append(word)
    return terms[:MAX_TERMS]


def _engine_query(terms: Iterable[str], operator: str) -> str:
    """The engine's query syntax for prefix matches of `terms`, joined by AND or OR.

    Terms are letters and digits only, so nothing a user types becomes an operator.
    """
    if connection.vendor == "postgresql":
        joiner = " & " if operator == "AND" else " | "
        return joiner.join(f"{term}:*" for term in terms)
    return f" {operator} ".join(f'"{term}"*' for term in terms)


def _vendor_sql(sqlite: str, postgresql: str) -> str:
    if connection.vendor == "postgresql":
        return postgresql
    if connection.vendor == "sqlite":
        return sqlite
    raise NotImplementedError(f"no full-text search for {connection.vendor}")


def matching_case_ids(text: str) -> RawSQL | None:
    """Ids of cases with a message holding every word of `text`, or None without words."""
    terms = search_terms(text)
    if not terms:
        return None
    # SQLite reads each match's case from the FTS rowid (see `_CASE_OF_ROWID`):
    # half a million matches of a common word cost one pass over its doclist, not
    # half a million lookups of the entries table.
    sql = _vendor_sql(
        f"SELECT {_CASE_OF_ROWID} FROM {_FTS} WHERE {_FTS} MATCH %s AND {_IS_MESSAGE_ROWID}",
        f"SELECT case_id FROM {_ENTRY} WHERE message_id IS NOT NULL "
        f"AND {_PG_VECTOR} @@ to_tsquery('simple'::regconfig, %s)",
    )
    return RawSQL(sql, [_engine_query(terms, "AND")])


def highlight(raw: str) -> SafeString:
    """Escape an engine's excerpt and turn its START/STOP markers into <mark>."""
    raw = " ".join(raw.split())
    parts = re.split(f"({START}.*?{STOP})", raw)
    return format_html_join(
        "",
        "{}",
        (
            (format_html("<mark>{}</mark>", part[1:-1]) if part.startswith(START) else part,)
            for part in parts
            if part
        ),
    )


@functools.cache
def _fold_char(char: str) -> str:
    return (unicodedata.normalize("NFKD", char)[:1] or char).lower()[:1] or char


def _fold(text: str) -> str:
    """Lower-case `text` without accents, one character for one, so positions still match."""
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(char) for char in text)


@functools.lru_cache(maxsize=64)
def _term_pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    """Words of a folded text that start with a term, as the engines' prefix queries match."""
    alternatives = "|".join(re.escape(_fold(term)) for term in terms)
    return re.compile(r"(?<![^\W_])(?:" + alternatives + r")[^\W_]*")


def excerpt(text: str, terms: list[str], *, width: int = 160) -> str | None:
    """The part of `text` around its first match, every match marked; None if a term is missing.

    Cut here rather than by the engines (FTS5 snippet(), ts_headline): the same
    excerpt on both, exactly the seller's text (ts_headline drops what looks like
    HTML), and the page's snippets are one indexed read, not a full-text query per
    message.
    """
    # Text stored before control characters were refused may hold the markers.
    text = " ".join(text.replace(START, " ").replace(STOP, " ").split())
    folded = _fold(text)
    if not all(_term_pattern((term,)).search(folded) for term in terms):
        return None
    pattern = _term_pattern(tuple(terms))
    first = pattern.search(folded)
    assert first is not None
    start = max(0, first.start() - width // 3)
    if start:
        start = text.find(" ", start, first.start()) + 1 or first.start()
    end = min(len(text), start + width)
    if end < len(text) and text.rfind(" ", first.end(), end) > 0:
        end = text.rfind(" ", first.end(), end)
    parts, cursor = [], start
    for match in pattern.finditer(folded, start, end):
        parts += [text[cursor : match.start()], START, text[match.start() : match.end()], STOP]
        cursor = match.end()
    parts.append(text[cursor:end])
    return ("…" if start else "") + "".join(parts) + ("…" if end < len(text) else "")


def search_snippets(*, case_ids: list[int], text: str) -> dict[int, SafeString]:
    """One excerpt per case, from its newest message holding every word, in one query."""
    terms = search_terms(text)
    if not terms or not case_ids:
        return {}
    entries = (
        CaseSearchEntry.objects.filter(case_id__in=case_ids, message_id__isnull=False)
        .order_by("case_id", "-message_id")
        .values_list("case_id", "subject", "body", "file_names")
    )
    snippets: dict[int, SafeString] = {}
    for case_id, subject, body, file_names in entries:
        if case_id in snippets:
            continue
        cut = excerpt(" · ".join(part for part in (subject, body, file_names) if part), terms)
        if cut is not None:
            snippets[case_id] = highlight(cut)
    return snippets


def similar_cases(*, cases: QuerySet[Case], text: str, limit: int = 5) -> list[Case]:
    """Cases of `cases` whose description or messages share words with `text`, best first."""
    terms = search_terms(text, drop_stopwords=True)
    if not terms:
        return []
    scope_sql, scope_params = cases.values("pk").query.sql_with_params()
    # The best entries first; a case with several matching messages counts once.
    sql = _vendor_sql(
        f"SELECT {_CASE_OF_ROWID} FROM {_FTS} "
        f"WHERE {_FTS} MATCH %s AND {_CASE_OF_ROWID} IN ({scope_sql}) "
        f"ORDER BY {_FTS}.rank LIMIT %s",
        f"SELECT case_id FROM {_ENTRY}, to_tsquery('simple'::regconfig, %s) query "
        f"WHERE {_PG_VECTOR} @@ query AND case_id IN ({scope_sql}) "
        f"ORDER BY ts_rank({_PG_VECTOR}, query) DESC, id DESC LIMIT %s",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_engine_query(terms, "OR"), *scope_params, limit * 10])
        ranked = list(dict.fromkeys(row[0] for row in cursor.fetchall()))[:limit]
    found = {case.pk: case for case in cases.filter(pk__in=ranked)}
    return [found[pk] for pk in ranked if pk in found]
