"""What needs the user: the header's count and the log's rows with their marks
("changed since you looked", who opened it, the search snippet).

Both read a fixed number of queries, whatever the number of cases or rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import SafeString

from cases.access import viewer_for
from cases.display import Moment, links, moments
from cases.models import Case, TimeLeft
from cases.search import search_snippets

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


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


def changed_since_seen(expired: bool, support_at: Any, seen_at: Any, joined_at: Any) -> bool:
    """The "Updated" mark: Seller Support acted (message, state change, transfer)
    after the user last opened the case and after they joined its account; never
    on an expired case. A user who never opened the case counts from joining."""
    if support_at is None or expired:
        return False
    since = max((moment for moment in (seen_at, joined_at) if moment is not None), default=None)
    return since is None or support_at > since


class RowMarks(TypedDict):
    """What the log selector reads with each row (`cases.selectors.with_row_marks`)."""

    opened_by_email: str | None
    seen_at: datetime | None
    joined_at: datetime | None


@dataclass(frozen=True, slots=True)
class LogRow:
    """A row of the log table (`cases/_case_table.html`): the case and its marks for this user.

    - `changed`: the "Updated" mark (see `changed_since_seen`);
    - `opened_by`: who opened the case, only where it is not the owner ("" otherwise);
    - `snippet`: the matching excerpt of its messages, when searching;
    - `badge`: its state badge, as the page rendered it (`cases.views.state_badges`);
    - `waited`: how long Seller Support has kept the seller waiting (their turn), and
      `overdue`: longer than the team's target (`Case.is_overdue`);
    - `closes_in`: the time left before the automatic resolution, once the reminder
      is out (`Case.closes_in`);
    - `expired`, `url`, `created`, `activity`: what the row shows of the case, worked
      out once here (the template asked `is_expired` up to four times a row).
    The team's target comes with the rows (`cases.selectors.with_row_marks`).
    """

    case: Case
    expired: bool
    url: str
    created: Moment
    activity: Moment
    changed: bool
    opened_by: str
    snippet: SafeString | None
    badge: SafeString | None = None
    waited: timedelta | None = None
    overdue: bool = False
    closes_in: TimeLeft | None = None


def log_rows(
    cases: Sequence[WithAnnotations[Case, RowMarks]], *, search_text: str = ""
) -> list[LogRow]:
    """The rows of a log page, with no query (plus one when searching). The cases
    come from the log selector, which reads the marks' dates with the rows."""
    ids = [case.pk for case in cases]
    snippets = search_snippets(case_ids=ids, text=search_text) if search_text and ids else {}
    moment = moments()
    url = links(reverse("cases:detail", args=[0]))
    return [
        LogRow(
            case=case,
            expired=(expired := case.is_expired),
            url=url(case.pk),
            created=moment(case.created_at),
            activity=moment(case.last_activity_at),
            changed=changed_since_seen(
                expired, case.support_activity_at, case.seen_at, case.joined_at
            ),
            opened_by=(
                case.opened_by_email
                if case.opened_by_email and case.opened_by_email != case.primary_email
                else ""
            ),
            snippet=snippets.get(case.pk),
            waited=case.waited,
            overdue=case.is_overdue,
            closes_in=case.closes_in,
        )
        for case in cases
    ]
