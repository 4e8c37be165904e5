"""The duplicate guard: the cases that resemble a new case's text."""

# The SQL below is assembled from this module's constants and placeholders only;
# every value a user types travels as a query parameter.
# ruff: noqa: S608

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

from cases.models import Case
from cases.search.match import _TERMS_TABLE
from cases.search.terms import is_identifier, query_terms

# The duplicate guard's weights: an identifier (an order number, an e-mail, a
# domain: a term with a digit, an @ or a dot) says far more than a word, and a
# case is suggested only from SIMILAR_MIN_SCORE: two words, or one identifier.
SIMILAR_WORD_WEIGHT = 1
SIMILAR_IDENTIFIER_WEIGHT = 3
SIMILAR_MIN_SCORE = 2


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
