"""What needs the user: the header's count and the log's "changed since you looked" marks.

Both read a fixed number of queries, whatever the number of cases or rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.functional import SimpleLazyObject

from cases.access import account_ids_for, cases_visible_to, is_support_staff
from cases.models import Case, CaseState, CaseView
from cases.search import search_snippets


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
    if user is None or not user.is_authenticated or is_support_staff(user):
        return {}
    return {"attention": SimpleLazyObject(lambda: _attention_if_seller(user))}


def _attention_if_seller(user: Any) -> Attention | None:
    # A user of no seller account (staff, a removed user) has nothing to count.
    return needs_attention_for(user) if account_ids_for(user) else None


def decorate_log_rows(user: Any, rows: list[Case], *, search_text: str = "") -> list[Case]:
    """Mark the rows of a log page for the table, in one query (two when searching).

    - `opened_by_email`: who opened the case;
    - `changed_since_seen`: support wrote or the state changed since the user last
      opened the case page (a case never opened counts from its creation);
    - `search_snippet`: the matching excerpt of its messages, when searching.
    The page's rows come from the log selector, which reads only the columns the
    table shows; these marks are read here for the page's ids, never per row.
    """
    ids = [case.pk for case in rows]
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
    return rows
