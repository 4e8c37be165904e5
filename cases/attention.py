"""What needs the user: the header's count and the log's "changed since you looked" marks.

Both read a fixed number of queries, whatever the number of cases or rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.functional import SimpleLazyObject

from cases.access import account_ids_for, cases_visible_to
from cases.display import date_texts, url_builder
from cases.models import Case, CaseState, CaseView
from cases.search import search_snippets
from cases.selectors import ATTENTION_CACHE_ATTR

# What `cases.selectors.with_row_marks` reads with each row of a log page.
_MARKS = frozenset({"seen_at", "opened_by_email", "last_activity_at", "created_at"})
_URL_SLOT = 9876543210123  # reversed once, then replaced by each case ID


@dataclass(frozen=True)
class Attention:
    total: int
    mine: int


def needs_attention_for(user: Any) -> Attention:
    """Cases of the user's accounts that wait on a seller, and how many they own (1 query)."""
    counts = (
        cases_visible_to(user)
        .filter(state=CaseState.NEEDS_ATTENTION)
        .aggregate(total=Count("pk"), mine=Count("pk", filter=Q(primary_email=user.email)))
    )
    return Attention(total=counts["total"] or 0, mine=counts["mine"] or 0)


def attention(request: Any) -> dict[str, Any]:
    """Context processor: `attention` for the header, read only if a template uses it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"attention": SimpleLazyObject(lambda: _attention_if_seller(user))}


def _attention_if_seller(user: Any) -> Attention | None:
    # A user of no seller account (an agent, a removed user) has nothing to count.
    if not account_ids_for(user):
        return None
    # The log page already counted them in its memberships query (same request).
    counted = getattr(user, ATTENTION_CACHE_ATTR, None)
    if counted is not None:
        return Attention(total=counted[0], mine=counted[1])
    return needs_attention_for(user)


def decorate_log_rows(user: Any, rows: list[Case], *, search_text: str = "") -> list[Case]:
    """Mark the rows of a log page for the table: no query when the rows come from
    the log selector (it reads the marks in the rows query), one otherwise; plus one
    when searching.

    - `opened_by_email`: who opened the case;
    - `changed_since_seen`: support wrote or the state changed since the user last
      opened the case page (a case never opened counts from its creation);
    - `search_snippet`: the matching excerpt of its messages, when searching.
    The page's rows come from the log selector (`cases.selectors.with_row_marks`),
    which reads `opened_by_email`, `seen_at` and `last_activity_at` with the rows;
    rows without them get their marks here in one query for the page's ids.
    """
    ids = [case.pk for case in rows]
    if all(case.__dict__.keys() >= _MARKS for case in rows):
        snippets = search_snippets(case_ids=ids, text=search_text) if search_text and ids else {}
        for case in rows:
            since = case.seen_at or case.created_at
            activity = case.last_activity_at
            case.changed_since_seen = bool(since and activity and activity > since)
            case.opened_by_email = case.opened_by_email or ""
            case.search_snippet = snippets.get(case.pk)
        return _with_display(rows)
    seen = CaseView.objects.filter(user_id=user.pk, case_id=OuterRef("pk")).values("seen_at")
    marks = {
        row["pk"]: row
        for row in cases_visible_to(user)
        .filter(pk__in=ids)
        .values(
            "pk", "created_at", "last_activity_at", "opened_by__email", seen_at=Subquery(seen[:1])
        )
    }
    snippets = search_snippets(case_ids=ids, text=search_text) if search_text and ids else {}
    for case in rows:
        mark = marks.get(case.pk, {})
        since = mark.get("seen_at") or mark.get("created_at")
        activity = mark.get("last_activity_at")
        case.changed_since_seen = bool(since and activity and activity > since)
        case.opened_by_email = mark.get("opened_by__email") or ""
        case.search_snippet = snippets.get(case.pk)
    return _with_display(rows)


def _with_display(rows: list[Case]) -> list[Case]:
    """What the table shows of each row, computed once per page (`_case_table.html`):

    `created_iso`/`created_text` (the two `|date` of the creation date), `url`
    (`get_absolute_url` without a `reverse()` per row), and the state badge's
    `state_label`, `state_title`, `badge_class` (`get_state_display`,
    `state_meaning`, `state_badge`), translated once per state.
    """
    texts = date_texts()
    url = url_builder("cases:detail", _URL_SLOT)
    states: dict[str, tuple[str, str, str]] = {}
    for case in rows:
        case.created_iso, case.created_text = texts(case.created_at)
        case.url = url(case.pk)
        state = states.get(case.state)
        if state is None:
            state = states[case.state] = (
                case.get_state_display(),
                case.state_meaning,
                case.state_badge,
            )
        case.state_label, case.state_title, case.badge_class = state
    return rows
