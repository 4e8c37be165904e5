"""Search of a case's text: one definition of a match, the same on every database.

What matches is decided here, in Python, by one tokeniser (`index_terms` for the
text, `query_terms` for what the user types); the databases only store and look
up its terms. So SQLite and PostgreSQL cannot disagree: they run the same SQL over
the same rows.

**The tokeniser.** Text is folded (Unicode NFKD, combining marks dropped, case
folded, œ/æ/ø/ł/ß spelled out, every script's decimal digits read as 0–9, dashes
and apostrophes unified, a decimal comma `12,50` read as `12.50`), then cut into
*chunks*: runs of letters and digits held together by `. @ - _ / + ' & : #`
(`jean.dupont@example.fr`, `171-7654321`, `12.50`, `shop.example.com`). A chunk
gives its *parts* (`jean`, `dupont`, `example`, `fr`), the letter and digit runs
of a mixed part (`ord12345` → `ord`, `12345`), every run of 2–4 consecutive parts
(`example.fr`, `dupont@example.fr`, `jean.dupont@example.fr`), the whole chunk,
and the digits of an all-digit chunk written together (`06.12.34.56.78` →
`0612345678`; so are digits separated by single spaces, `+33 6 12 34 56 78` →
`33612345678`). Words are cut to a light English/French stem (`refunds`,
`refund` → `refund`; `remboursements` → `remboursement`; `journaux` → `journal`;
`policies`, `policy` → `polici`; `problème`, `problem` → `problem`): plural and
singular meet, nothing cleverer (no dictionary, so nothing to differ between
engines or versions). A term is at most 64 characters.

**A match.** The query goes through the same tokeniser: each chunk it holds is one
term (its single part, stemmed, or the chunk whole), at most 8. A case matches
when every query term is a *prefix* of one of the case's terms (in its short
description, any message subject or body, or an attached file's name); or when
the query is 4–10 ASCII digits and the case ID starts with them.

**The index.** `CaseSearchTerm`: one row per (term, case), a B-tree on
`(term, case_id)`; a query term is the range `term >= t AND term < t'` (t' = t with
its last character incremented), read index-only. Each row also carries its case's
account, and a seller's search reads the range of `(account, term, case)` for each
of their accounts: their matches only, not every account's. Terms are compared byte-wise
(SQLite's BINARY, PostgreSQL's "C" collation on the column), so the range is the
same on both. Why not the engines' own full-text search: PostgreSQL's parser and
dictionaries (and `unaccent`) and SQLite's FTS5 tokenisers split `171-7654321`,
e-mails and decimals differently, stem differently (or not at all), and the
measured PostgreSQL GIN search had to read the heap of every matching entry for
its case id (~210 ms for a common word at 100,000 cases); the term B-tree answers
from the index alone on both (see `benchmarks/README.md`, "Full-text search").
The owner's e-mail is stored as one more term, `@` + the address (no ordinary term
starts with `@`), for the agents' search: exact and prefix matches by the index.
The words of an agents' internal note are stored as `!` + term: only the agents'
search (`notes=True`) reads that range, so a seller's search never matches a note.

**The index's bounds.** Each text (a message, a description) gives at most its
first MAX_TERMS_PER_TEXT terms, in the order they appear; a text adds none once
its case holds MAX_TERMS_PER_CASE (`case_terms`; posting a message follows the
same rule). Words past a bound are not found; the snippets still show them.

`CaseSearchEntry` keeps the raw text (one row per message, one for the
description): the snippets are cut from it, and the terms are rebuilt from it.

Public functions:
- `query_terms(text)`, `index_terms(text)`: the tokeniser;
- `filter_cases(queryset, text)`: the cases of `queryset` matching `text` (the
  log's `q`, the admin's search);
- `match_count(text, account_ids=...)`: how many cases of those accounts match,
  from the index alone (the log's count when the search is its only filter);
- `search_snippets(case_ids=..., text=...)`: one escaped, highlighted excerpt per
  case, for the rows of one page;
- `similar_cases(cases=..., text=...)`: the duplicate guard.

No function here widens what the caller passes in.
"""

# The SQL below is assembled from this module's constants and placeholders only;
# every value a user types travels as a query parameter.
# ruff: noqa: S608, S611

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Iterable

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.lookups import In
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from cases.models import Case, CaseSearchEntry, CaseSearchTerm
from cases.validators import CASE_ID_DIGITS, case_id_digits

MAX_TERMS = 8
SMALL_SET = 2000  # matching cases read into a list of ids (see `match_q`)
MAX_TERM_LENGTH = CaseSearchTerm.TERM_LENGTH
MAX_RUN = 4  # parts of a chunk joined into one term, at most
# The index's bounds (rows of `CaseSearchTerm`): a text gives its first terms, and
# a case stops taking a new text's once it holds this many. A 20,000-character
# message of odd words once gave 21,000 rows; a page of prose gives a few hundred.
MAX_TERMS_PER_TEXT = 2_000
MAX_TERMS_PER_CASE = 20_000
MIN_CASE_ID_PREFIX = 4
EMAIL_MARK = "@"
# The terms of an agents' internal note are stored as NOTE_MARK + term (no
# ordinary term starts with "!"): a seller's query term, a prefix range of
# ordinary terms, can never reach one; the agents' search reads both ranges.
NOTE_MARK = "!"
START, STOP = "\x02", "\x03"
_TERMS_TABLE = CaseSearchTerm._meta.db_table

# Words too common to say that two subjects resemble each other (the duplicate
# guard's, not the log's search: there a typed word is always looked for). Small
# lists, one a language; a word of either is ignored whatever the seller's language.
_STOPWORDS_EN = """a about after again all also am an and any are as at be been before but by
    can could did do does done for from get got had has have how i if in into is it its just
    me my no not now of on one or our out over please same since so still than that the their
    them then there these they this to too up us very was we were what when where which who
    why will with would yes yet you your"""
_STOPWORDS_FR = """a afin ai au aucun aucune aussi aux avec avez avoir bien ce cela ces cet cette
    comme dans de depuis des deux donc du elle en encore est et etait ete etre il ils je jour
    la le les leur lui ma mais me merci mes moi mon ne ni non nos notre nous on ont ou par pas
    peu plus pour pourquoi quand que quel quelle qui sa sans se ses si son sont sur ta te toujours
    tous tout toute tres tu un une vos votre vous y"""
# The duplicate guard's weights: an identifier (an order number, an e-mail, a
# domain: a term with a digit, an @ or a dot) says far more than a word, and a
# case is suggested only from SIMILAR_MIN_SCORE: two words, or one identifier.
SIMILAR_WORD_WEIGHT = 1
SIMILAR_IDENTIFIER_WEIGHT = 3
SIMILAR_MIN_SCORE = 2

_JOINERS = ".@\\-_/+'&:#"
# A chunk: letters/digits, held together by joiners. `[^\W_]` is a letter or digit.
_CHUNK = re.compile(rf"[^\W_]+(?:[{_JOINERS}]+[^\W_]+)*")
_PART = re.compile(r"[^\W_]+")
_RUNS = re.compile(r"\d+|[^\W\d_]+")
_SPACED_DIGITS = re.compile(r"(?<![\w.@\-])\d+(?: \d+){2,}(?![\w])")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_LETTERS_ONLY = re.compile(r"[^\W\d_]+")


@functools.cache
def _fold_table() -> dict[int, str | None]:
    """str.translate table: combining marks dropped, digits to ASCII, dashes, apostrophes."""
    table: dict[int, str | None] = {}
    for code in range(0x80, sys.maxunicode + 1):
        char = chr(code)
        category = unicodedata.category(char)
        if category[0] == "M":
            table[code] = None
        elif category == "Nd":
            table[code] = str(unicodedata.decimal(char))
        elif category == "Pd":
            table[code] = "-"
        elif category == "Cs":  # lone surrogates: not text, cannot reach a database
            table[code] = " "
    for char in "’‘ʼ´":
        table[ord(char)] = "'"
    for char, spelled in {"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ı": "i"}.items():
        table[ord(char)] = spelled
    table[0] = " "
    return table


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _fold_run(match: re.Match[str]) -> str:
    table = _fold_table()
    folded = unicodedata.normalize("NFKD", match.group()).translate(table).casefold()
    return unicodedata.normalize("NFKD", folded).translate(table)


def fold(text: str) -> str:
    """`text` case-folded and without accents; digits of every script as ASCII digits."""
    # Only the non-ASCII runs go through Unicode normalisation (decomposition is
    # per character, so folding a run alone gives the same result): most of a
    # French text is ASCII, and str.translate with a large table is slow per character.
    if not text.isascii():
        text = _NON_ASCII.sub(_fold_run, text)
    return _DECIMAL_COMMA.sub(".", text.lower().replace("\x00", " "))


def stem(word: str) -> str:
    """A light English/French stem of a folded word: plural and singular meet."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("eaux"):
        word = word[:-1]
    elif word.endswith("aux"):
        word = word[:-3] + "al"
    elif word.endswith(("eux", "oux")) or (
        word.endswith("s") and not word.endswith(("ss", "us", "is"))
    ):
        word = word[:-1]
    if word.endswith("ee") and len(word) > 4:
        word = word[:-2]
    elif word.endswith("e") and len(word) > 3:
        word = word[:-1]
    if word.endswith("y") and len(word) > 3:
        word = word[:-1] + "i"
    return word


@functools.lru_cache(maxsize=65536)
def _chunk_terms(chunk: str) -> tuple[str, ...]:
    # Cached: the words of a thread (and of a whole index rebuild) repeat. In a
    # fixed order (no set's): the index keeps a text's first terms (`text_terms`).
    parts = list(_PART.finditer(chunk))
    terms: dict[str, None] = {}
    for part in parts:
        word = part.group()
        terms[stem(word)] = None
        runs = _RUNS.findall(word)
        if len(runs) > 1:
            terms.update((stem(run), None) for run in runs)
    if len(parts) > 1:
        for first in range(len(parts)):
            for last in range(first + 1, min(len(parts), first + MAX_RUN)):
                terms[chunk[parts[first].start() : parts[last].end()]] = None
        terms[chunk] = None
        words = [part.group() for part in parts]
        if all(word.isdigit() for word in words):
            terms["".join(words)] = None
    return tuple(dict.fromkeys(term[:MAX_TERM_LENGTH] for term in terms if term))


def _ordered_terms(text: str) -> dict[str, None]:
    """The terms of `text` once each, in the order they first appear."""
    folded = fold(text)
    terms: dict[str, None] = {}
    for chunk in _CHUNK.findall(folded):
        terms.update(dict.fromkeys(_chunk_terms(chunk)))
    for digits in _SPACED_DIGITS.findall(folded):
        terms[digits.replace(" ", "")[:MAX_TERM_LENGTH]] = None
    return terms


def index_terms(text: str) -> set[str]:
    """Every term a case's `text` can be found by (see the module's docstring)."""
    return set(_ordered_terms(text))


def text_terms(text: str) -> list[str]:
    """The terms the index keeps of one text (a message, a description): its first
    MAX_TERMS_PER_TEXT, in the order they appear (see "The index's bounds")."""
    return list(_ordered_terms(text))[:MAX_TERMS_PER_TEXT]


def _query_term(chunk: str) -> str:
    parts = _PART.findall(chunk)
    term = stem(parts[0]) if len(parts) == 1 else chunk
    return term[:MAX_TERM_LENGTH]


def query_terms(text: str, *, drop_stopwords: bool = False) -> list[str]:
    """The terms of what a user typed: one a chunk, 2+ characters, at most 8."""
    terms: list[str] = []
    for chunk in _CHUNK.findall(fold(text)):
        term = _query_term(chunk)
        if len(term) < 2 or term in terms or (drop_stopwords and term in _stopword_terms()):
            continue
        terms.append(term)
    return terms[:MAX_TERMS]


# The old name, kept for callers that only need the words.
search_terms = query_terms


@functools.cache
def _stopword_terms() -> frozenset[str]:
    words = (_STOPWORDS_EN + " " + _STOPWORDS_FR).split()
    return frozenset(stem(fold(word)) for word in words)


def is_identifier(term: str) -> bool:
    """Whether a query term is an identifier (see SIMILAR_IDENTIFIER_WEIGHT)."""
    return any(char.isdigit() or char in "@." for char in term)


def _after(prefix: str) -> str:
    """The smallest string above every string that starts with `prefix` (code-point order)."""
    code = ord(prefix[-1]) + 1
    if 0xD800 <= code <= 0xDFFF:  # surrogates cannot be stored: skip them
        code = 0xE000
    return prefix[:-1] + chr(min(code, sys.maxunicode))


def _accounts_sql(column: str, account_ids: list[int] | None) -> tuple[str, list[int]]:
    """The condition " AND <column> IN (…)" on the terms' account, or nothing (every account)."""
    if account_ids is None:
        return "", []
    return f" AND {column} IN ({', '.join(['%s'] * len(account_ids))})", list(account_ids)


def _prefixes(term: str, notes: bool) -> list[str]:
    """What a case's term must start with to match `term`: the term itself, and with
    `notes` (the agents' search) the same term in a note (NOTE_MARK + `term`)."""
    return [term, (NOTE_MARK + term)[:MAX_TERM_LENGTH]] if notes else [term]


def _prefix_sql(
    terms: Iterable[str], account_ids: list[int] | None, notes: bool = False
) -> tuple[str, list[str | int]]:
    """Ids of the cases holding, for every one of `terms`, a term that starts with it."""
    accounts, account_params = _accounts_sql("account_id", account_ids)
    selects: list[str] = []
    params: list[str | int] = []
    for index, term in enumerate(terms):
        # One index range per prefix (UNION ALL, not OR: each stays an index-only scan).
        parts = []
        for prefix in _prefixes(term, notes):
            parts.append(
                f"SELECT case_id FROM {_TERMS_TABLE} WHERE term >= %s AND term < %s{accounts}"
            )
            params += [prefix, _after(prefix), *account_params]
        if len(parts) == 1:
            selects.append(parts[0])
        else:
            selects.append(f"SELECT case_id FROM ({' UNION ALL '.join(parts)}) AS n{index}")
    return " INTERSECT ".join(selects), params


def _small_match_set(
    terms: list[str], account_ids: list[int] | None, notes: bool = False
) -> list[int] | None:
    """The matching case ids when there are at most SMALL_SET of them, else None.

    One bounded query: the longest term (usually the rarest) drives, through the
    (account, term) index for a seller or the primary key for an agent; each other
    term is a probe of the (case, term) index. It stops at SMALL_SET + 1 cases, so
    a common word costs a few thousand index entries. With `notes`, each term is
    two ranges (its own and a note's): the driving ranges are read one after the
    other (UNION ALL), a probe is satisfied by either.
    """
    first, *others = sorted(terms, key=len, reverse=True)
    params: list[str | int] = []
    driving = _prefixes(first, notes)
    if len(driving) == 1:
        accounts, account_params = _accounts_sql("t.account_id", account_ids)
        sql = (
            f"SELECT DISTINCT t.case_id FROM {_TERMS_TABLE} t"
            f" WHERE t.term >= %s AND t.term < %s{accounts}"
        )
        params += [first, _after(first), *account_params]
    else:
        accounts, account_params = _accounts_sql("account_id", account_ids)
        ranges = []
        for prefix in driving:
            ranges.append(
                f"SELECT case_id FROM {_TERMS_TABLE} WHERE term >= %s AND term < %s{accounts}"
            )
            params += [prefix, _after(prefix), *account_params]
        sql = f"SELECT DISTINCT t.case_id FROM ({' UNION ALL '.join(ranges)}) t WHERE 1 = 1"
    # The probes name the accounts too: PostgreSQL may answer them with a hash of
    # the other term's range, which is then the accounts' part of it only.
    probe_accounts, account_params = _accounts_sql("u.account_id", account_ids)
    for term in others:
        probes = []
        for prefix in _prefixes(term, notes):
            probes.append(
                f"EXISTS (SELECT 1 FROM {_TERMS_TABLE} u WHERE u.case_id = t.case_id"
                f" AND u.term >= %s AND u.term < %s{probe_accounts})"
            )
            params += [prefix, _after(prefix), *account_params]
        sql += " AND " + (probes[0] if len(probes) == 1 else f"({' OR '.join(probes)})")
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT %s", [*params, SMALL_SET + 1])
        ids = [row[0] for row in cursor.fetchall()]
    return ids if len(ids) <= SMALL_SET else None


def case_id_range(text: str) -> tuple[int, int] | None:
    """The case IDs that start with `text`, when it is 4–10 decimal digits (spaces ignored,
    any script: `cases.validators.case_id_digits`)."""
    digits = case_id_digits(text, shortest=MIN_CASE_ID_PREFIX)
    if digits is None:
        return None
    scale = 10 ** (CASE_ID_DIGITS - len(digits))
    return int(digits) * scale, (int(digits) + 1) * scale


def match_q(
    text: str,
    *,
    owner_email: bool = False,
    account_ids: list[int] | None = None,
    notes: bool = False,
) -> Q | None:
    """The condition on cases that `text` matches, or None when `text` holds nothing to find.

    With `owner_email` (the agents' search), a case whose owner's e-mail starts with
    `text` matches too; with `notes` (the agents' search only), the words of its
    internal notes count too. `account_ids` (a seller's accounts) makes the term lookups
    read those accounts' terms only: the caller's cases are in them anyway.
    """
    condition = Q()
    id_range = case_id_range(text)
    if id_range is not None:
        condition |= Q(pk__gte=id_range[0], pk__lt=id_range[1])
    terms = query_terms(text)
    if terms:
        condition |= _terms_q(terms, account_ids, notes=notes)
    email = text.strip().lower()
    if owner_email and email and "\x00" not in email and not _has_surrogate(email):
        condition |= _terms_q([EMAIL_MARK + email[: MAX_TERM_LENGTH - 1]], account_ids)
    return condition or None


def _terms_q(terms: list[str], account_ids: list[int] | None, *, notes: bool = False) -> Q:
    """The cases holding a term that starts with each of `terms`.

    A small match set is read once here and travels as a list of ids. A large one:

    - in a seller's log (`account_ids`), each case the page walks in the log's
      order is probed, term by term, in the (case, term) index: the first page of
      a common word reads a few hundred entries whatever the size of the match
      (PostgreSQL would otherwise join every case walked against the whole set);
      the count, when the search is alone, comes from the index (`match_count`);
    - for an agent (every account), a subquery that the page probes while it
      walks its order (`id + 0` keeps SQLite from driving the page from the set
      and sorting every match).
    """
    if notes and account_ids is not None:
        raise ValueError("a seller's search never reads internal notes")
    ids = _small_match_set(terms, account_ids, notes)
    if ids is not None:
        return Q(pk__in=ids)
    if account_ids is not None:
        condition = Q()
        for term in terms:
            holds = CaseSearchTerm.objects.filter(
                case_id=OuterRef("pk"), term__gte=term, term__lt=_after(term)
            )
            condition &= Q(Exists(holds))
        return condition
    sql, params = _prefix_sql(terms, account_ids, notes)
    return Q(In(F("pk") + Value(0), RawSQL(sql, params)))


def match_count(text: str, *, account_ids: list[int]) -> int | None:
    """How many cases of `account_ids` `text` matches, counted in the term index
    alone (no case row is read), or None when the match is more than terms (a
    case ID's digits): the caller counts the cases then.

    The same number as `filter_cases` over those accounts' cases counts: every
    term row carries its case's account, and a case never changes account.
    """
    terms = query_terms(text)
    if not terms or not account_ids or case_id_range(text) is not None:
        return None
    sql, params = _prefix_sql(terms, account_ids)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(DISTINCT case_id) FROM ({sql}) AS matches", params)
        return cursor.fetchone()[0]


def _has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(char) <= 0xDFFF for char in text)


def filter_cases(
    queryset: QuerySet[Case],
    text: str,
    *,
    owner_email: bool = False,
    account_ids: list[int] | None = None,
    notes: bool = False,
) -> QuerySet[Case]:
    """The cases of `queryset` that `text` matches (none when it holds nothing to find).

    `account_ids`: the accounts `queryset` is within (a seller's), so that only
    their terms are read; None for every account (an agent). `notes`: internal
    notes count too (the agents' search; never with `account_ids`).
    """
    if account_ids is not None and not account_ids:
        return queryset.none()
    condition = match_q(text, owner_email=owner_email, account_ids=account_ids, notes=notes)
    return queryset.none() if condition is None else queryset.filter(condition)


def case_terms(
    *, description: str, email: str, texts: Iterable[str], notes: Iterable[str] = ()
) -> set[str]:
    """Every term of a case: its description, its owner's e-mail, its messages'
    texts and the words of its internal notes (marked NOTE_MARK), in that order,
    within the index's bounds: each text's first terms (`text_terms`), and no
    text's once the case holds MAX_TERMS_PER_CASE.

    Posting a message follows the same rule (`cases.search_index`), so a rebuild
    finds the terms the posts wrote.
    """
    terms = set(text_terms(description))
    if email:
        terms.add((EMAIL_MARK + email.lower())[:MAX_TERM_LENGTH])
    for text in texts:
        if len(terms) >= MAX_TERMS_PER_CASE:
            break
        terms.update(text_terms(text))
    for note in notes:
        if len(terms) >= MAX_TERMS_PER_CASE:
            break
        terms.update((NOTE_MARK + term)[:MAX_TERM_LENGTH] for term in text_terms(note))
    return terms


def entry_text(subject: str, body: str, file_names: str) -> str:
    return " · ".join(part for part in (subject, body, file_names) if part)


def highlight(raw: str) -> SafeString:
    """Escape an excerpt and turn its START/STOP markers into <mark>."""
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


def _spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Where `text` matches `terms`: a whole chunk for a term with joiners, else a part."""
    compound = [term for term in terms if not _PART.fullmatch(term)]
    single = [term for term in terms if _PART.fullmatch(term)]
    spans: list[tuple[int, int]] = []
    for chunk in _CHUNK.finditer(text):
        if compound and _satisfies(_chunk_index_terms(chunk.group()), compound):
            spans.append(chunk.span())
            continue
        for part in _PART.finditer(chunk.group()):
            if single and _satisfies(_chunk_index_terms(part.group()), single):
                spans.append((chunk.start() + part.start(), chunk.start() + part.end()))
    return spans


@functools.lru_cache(maxsize=16384)
def _chunk_index_terms(chunk: str) -> frozenset[str]:
    # The words of a thread repeat: a page's snippets tokenise each one once.
    return frozenset(index_terms(chunk))


def _satisfies(found: frozenset[str], terms: list[str]) -> bool:
    return any(candidate.startswith(term) for candidate in found for term in terms)


def excerpt(text: str, terms: list[str], *, width: int = 160) -> str | None:
    """The part of `text` around its first match, every match marked; None without a match.

    Cut here rather than by an engine: exactly the seller's text, and the same
    tokeniser decides what is marked as what matched.
    """
    # Text stored before control characters were refused may hold the markers.
    text = " ".join(text.replace(START, " ").replace(STOP, " ").split())
    # A stem differs from its word in the last two characters at most: a text
    # without the rest of any term cannot match (most of a page's messages).
    folded = fold(text)
    if not any(term[: max(1, len(term) - 2)] in folded for term in terms):
        return None
    spans = _spans(text, terms)
    if not spans:
        return None
    first_start, first_end = spans[0]
    start = max(0, first_start - width // 3)
    if start:
        start = text.find(" ", start, first_start) + 1 or first_start
    end = min(len(text), start + width)
    if end < len(text) and text.rfind(" ", first_end, end) > 0:
        end = text.rfind(" ", first_end, end)
    parts, cursor = [], start
    for span_start, span_end in spans:
        if span_start < start or span_end > end:
            continue
        parts += [text[cursor:span_start], START, text[span_start:span_end], STOP]
        cursor = span_end
    parts.append(text[cursor:end])
    return ("…" if start else "") + "".join(parts) + ("…" if end < len(text) else "")


def search_snippets(*, case_ids: list[int], text: str) -> dict[int, SafeString]:
    """One excerpt per case, from its newest message that matches, in one query."""
    terms = query_terms(text)
    if not terms or not case_ids:
        return {}
    entries = (
        CaseSearchEntry.objects.filter(
            case_id__in=case_ids, message_id__isnull=False, internal=False
        )
        .order_by("case_id", "-message_id")
        .values_list("case_id", "subject", "body", "file_names")
    )
    snippets: dict[int, SafeString] = {}
    for case_id, subject, body, file_names in entries:
        if case_id in snippets:
            continue
        cut = excerpt(entry_text(subject, body, file_names), terms)
        if cut is not None:
            snippets[case_id] = highlight(cut)
    return snippets


def similar_cases(*, cases: QuerySet[Case], text: str, limit: int = 5) -> list[Case]:
    """Cases of `cases` that resemble `text`, the closest first; among equals, the
    highest case ID first (IDs are random: a stable order, not the newest).

    Each shared term scores its weight: stop words none (they are dropped), an
    identifier SIMILAR_IDENTIFIER_WEIGHT, a word SIMILAR_WORD_WEIGHT; a case needs
    SIMILAR_MIN_SCORE, so one common word never makes a suggestion.
    """
    terms = query_terms(text, drop_stopwords=True)
    if not terms:
        return []
    try:
        scope_sql, scope_params = cases.values("pk").query.sql_with_params()
    except EmptyResultSet:  # a scope Django knows is empty (a user in no account)
        return []
    identifiers = [term for term in terms if is_identifier(term)]
    score = f"COUNT(*) * {SIMILAR_WORD_WEIGHT:d}"
    score_params: list[str] = []
    if identifiers:
        score = (
            f"SUM(CASE WHEN term IN ({', '.join(['%s'] * len(identifiers))}) "
            f"THEN {SIMILAR_IDENTIFIER_WEIGHT:d} ELSE {SIMILAR_WORD_WEIGHT:d} END)"
        )
        score_params = identifiers
    placeholders = ", ".join(["%s"] * len(terms))
    sql = (
        f"SELECT case_id FROM {_TERMS_TABLE} WHERE term IN ({placeholders}) "
        f"AND case_id IN ({scope_sql}) GROUP BY case_id HAVING {score} >= %s "
        f"ORDER BY {score} DESC, case_id DESC LIMIT %s"
    )
    params = [
        *terms,
        *scope_params,
        *score_params,
        SIMILAR_MIN_SCORE,
        *score_params,
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ranked = [row[0] for row in cursor.fetchall()]
    found = {case.pk: case for case in cases.filter(pk__in=ranked)}
    return [found[pk] for pk in ranked if pk in found]
