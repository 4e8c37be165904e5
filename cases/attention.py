"""What needs the user: the header's count and the log's "changed since you looked" marks.

Both read a fixed number of queries, whatever the number of cases or rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import OuterRef, Subquery
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from cases.access import Viewer, cases_visible_to, viewer_for
from cases.display import date_texts, url_builder
from cases.models import Case, CaseView, Membership
from cases.search import search_snippets

# What `cases.selectors.with_row_marks` reads with each row of a log page.
_MARKS = frozenset({"seen_at", "joined_at", "opened_by_email", "support_activity_at"})
_URL_SLOT = 9876543210123  # reversed once, then replaced by each case ID


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


def decorate_log_rows(viewer: Viewer, rows: list[Case], *, search_text: str = "") -> list[Case]:
    """Mark the rows of a log page for the table: no query when the rows come from
    the log selector (it reads the marks in the rows query), one otherwise; plus one
    when searching.

    - `opened_by_email`: who opened the case;
    - `changed_since_seen`: see `changed_since_seen`;
    - `search_snippet`: the matching excerpt of its messages, when searching.
    The page's rows come from the log selector (`cases.selectors.with_row_marks`),
    which reads `opened_by_email`, `seen_at`, `joined_at` and the activity dates with the rows;
    rows without them get their marks here in one query for the page's ids.
    """
    ids = [case.pk for case in rows]
    if all(case.__dict__.keys() >= _MARKS for case in rows):
        snippets = search_snippets(case_ids=ids, text=search_text) if search_text and ids else {}
        for case in rows:
            case.changed_since_seen = changed_since_seen(
                case, case.support_activity_at, case.seen_at, case.joined_at
            )
            case.opened_by_email = case.opened_by_email or ""
            case.search_snippet = snippets.get(case.pk)
        return _with_display(rows)
    user_id = viewer.user_id
    seen = CaseView.objects.filter(user_id=user_id, case_id=OuterRef("pk")).values("seen_at")
    joined = Membership.objects.filter(user_id=user_id, account_id=OuterRef("account_id"))
    marks = {
        row["pk"]: row
        for row in cases_visible_to(viewer)
        .filter(pk__in=ids)
        .values(
            "pk",
            "last_activity_at",
            "support_activity_at",
            "opened_by__email",
            seen_at=Subquery(seen[:1]),
            joined_at=Subquery(joined.values("added_at")[:1]),
        )
    }
    snippets = search_snippets(case_ids=ids, text=search_text) if search_text and ids else {}
    for case in rows:
        mark: Mapping[str, Any] = marks.get(case.pk, {})
        if "last_activity_at" not in case.__dict__:  # a deferred field: read with the marks
            case.last_activity_at = mark.get("last_activity_at") or case.created_at
        case.changed_since_seen = changed_since_seen(
            case, mark.get("support_activity_at"), mark.get("seen_at"), mark.get("joined_at")
        )
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
        case.activity_iso, case.activity_text = texts(case.last_activity_at)
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
