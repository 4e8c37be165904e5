"""What needs the user: the header's count and the log's "changed since you looked" marks.

Both read a fixed number of queries, whatever the number of cases or rows.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from cases.access import viewer_for
from cases.models import Case
from cases.search import search_snippets


def attention(request: HttpRequest) -> dict[str, Any]:
    """Context processor: `attention` for the header, read only if a template uses it.

    The counts come with the viewer's memberships (`cases.access.Viewer`): on the
    log they ride on the query the page reads anyway; elsewhere that query is the
    count's one query. None for a user of no seller account (an agent).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    viewer = viewer_for(request)
    return {"attention": SimpleLazyObject(lambda: viewer.attention)}


def changed_since_seen(case: Case, support_at: Any, seen_at: Any, joined_at: Any) -> bool:
    """The "Updated" mark: Seller Support acted (message, state change, transfer)
    after the user last opened the case and after they joined its account; never
    on an expired case. A user who never opened the case counts from joining."""
    if support_at is None or case.is_expired:
        return False
    since = max((moment for moment in (seen_at, joined_at) if moment is not None), default=None)
    return since is None or support_at > since


def decorate_log_rows(rows: list[Case], *, search_text: str = "") -> list[Case]:
    """Mark the rows of a log page for the table, with no query (plus one when searching).

    The rows come from the log selector (`cases.selectors.with_row_marks`), which
    reads `opened_by_email`, `seen_at`, `joined_at` and the activity dates with
    the rows. Sets on each row:

    - `opened_by_email`: who opened the case ("" when unknown);
    - `changed_since_seen`: see `changed_since_seen`;
    - `search_snippet`: the matching excerpt of its messages, when searching.

    What the table shows of each row (dates, URL, badge) is the page's business
    (`cases.views.case_list`).
    """
    ids = [case.pk for case in rows]
    snippets = search_snippets(case_ids=ids, text=search_text) if search_text and ids else {}
    for case in rows:
        case.changed_since_seen = changed_since_seen(
            case, case.support_activity_at, case.seen_at, case.joined_at
        )
        case.opened_by_email = case.opened_by_email or ""
        case.search_snippet = snippets.get(case.pk)
    return rows
