"""What a search matches, and how the term index answers it.

**A match.** The query goes through the same tokeniser (`cases.search.terms`):
each chunk it holds is one term (its single part, stemmed, or the chunk whole), at
most 8. A case matches when every query term is a *prefix* of one of the case's
terms (in its short description, any message subject or body, or an attached
file's name); or when the query is 4–10 ASCII digits and the case ID starts with
them.

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
"""

# The SQL below is assembled from this module's constants and placeholders only;
# every value a user types travels as a query parameter.
# ruff: noqa: S608, S611

from __future__ import annotations

import sys
from collections.abc import Iterable

from django.db import connection
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.lookups import In

from cases.models import Case, CaseSearchTerm
from cases.search.terms import EMAIL_MARK, MAX_TERM_LENGTH, NOTE_MARK, query_terms
from cases.validators import CASE_ID_DIGITS, case_id_digits

SMALL_SET = 2000  # matching cases read into a list of ids (see `match_q`)
MIN_CASE_ID_PREFIX = 4
_TERMS_TABLE = CaseSearchTerm._meta.db_table


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
    email = _email_term(text) if owner_email else None
    if email:
        condition |= _terms_q([email], account_ids)
    return condition or None


def _email_term(text: str) -> str | None:
    """The owner's e-mail term that `text` is the start of (EMAIL_MARK + the address),
    or None when `text` cannot be one."""
    email = text.strip().lower()
    if not email or "\x00" in email or _has_surrogate(email):
        return None
    return EMAIL_MARK + email[: MAX_TERM_LENGTH - 1]


class _Probed(Func):
    """`(<condition>) IS TRUE`: the same truth, but not a join condition. A subquery
    under it stays a set built once and probed for each row the page walks in its
    order; as a plain `id IN (…)`, SQLite drives the page from the set by rowid and
    sorts every match, and PostgreSQL turns it into a semi-join planned from its
    estimate of a prefix range — often one row for a range of thousands, so it
    read and sorted all 9,197 cases of an owner's e-mail (65–360 ms) where the walk
    probes ~4,500 index entries (16 ms)."""

    template = "(%(expressions)s) IS TRUE"
    output_field = BooleanField()


def _terms_q(terms: list[str], account_ids: list[int] | None, *, notes: bool = False) -> Q:
    """The cases holding a term that starts with each of `terms`.

    A small match set is read once here and travels as a list of ids. A large one:

    - in a seller's log (`account_ids`), each case the page walks in the log's
      order is probed, term by term, in the (case, term) index: the first page of
      a common word reads a few hundred entries whatever the size of the match
      (PostgreSQL would otherwise join every case walked against the whole set);
      the count, when the search is alone, comes from the index (`match_count`);
    - for an agent (every account), a subquery built once that the page probes
      while it walks its order (`_Probed`); the count, when the search is alone,
      comes from the index too (`match_count`).
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
    return Q(_Probed(In(F("pk"), RawSQL(sql, params))))


def match_count(
    text: str,
    *,
    account_ids: list[int] | None,
    owner_email: bool = False,
    notes: bool = False,
) -> int | None:
    """How many cases `text` matches (of `account_ids`, or of every account with
    None: an agent), counted in the term index alone (no case row is read), or None
    when the match is more than terms (a case ID's digits): the caller counts the
    cases then. `owner_email` and `notes` as in `match_q`.

    The same number as `filter_cases` over those accounts' cases counts: every
    term row carries its case's account, and a case never changes account.
    """
    if notes and account_ids is not None:
        raise ValueError("a seller's search never reads internal notes")
    terms = query_terms(text)
    email = _email_term(text) if owner_email else None
    if (account_ids is not None and not account_ids) or case_id_range(text) is not None:
        return None
    parts = [_prefix_sql(terms, account_ids, notes)] if terms else []
    if email:
        parts.append(_prefix_sql([email], account_ids))
    if not parts:
        return None
    if len(parts) == 1:
        sql, params = parts[0]
    else:
        sql = " UNION ALL ".join(
            f"SELECT case_id FROM ({part}) AS p{index}" for index, (part, _p) in enumerate(parts)
        )
        params = [param for _part, part_params in parts for param in part_params]
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
