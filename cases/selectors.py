"""Reads of the case log, for the HTML page and the CSV export alike.

Both call `case_log`, so the export is always exactly what the log displays:
the cases visible to the user → the FilterSet → the default view → the sort.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import QueryDict

from cases import access
from cases.access import cases_visible_to
from cases.filters import CaseFilter, SortColumn, sort_columns
from cases.models import Case, Membership, expired_q

LOG_COLUMNS = ("id", "created_at", "state", "primary_email", "short_description", "resolved_at")
# From this offset on, a page first picks its ids from the covering index, then
# reads those rows: the database skips index entries instead of table rows.
DEFERRED_JOIN_FROM = 1000


class _DeferredJoinList:
    """A sliceable stand-in for the log queryset that Paginator pages through.

    A shallow slice is the queryset's own slice. A deep one (page 2,000 is
    OFFSET 49,975) reads the ids with an index-only walk in a subquery and the 25
    rows by primary key, in one query: `WHERE id IN (SELECT id … LIMIT 25 OFFSET
    49975)`. PostgreSQL would otherwise fetch every skipped row from the heap.
    """

    def __init__(self, queryset: QuerySet[Case]) -> None:
        self.queryset = queryset
        self.total: int | None = None

    def count(self) -> int:
        if self.total is None:
            self.total = self.queryset.count()
        return self.total

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> Any:
        start, stop = key.start or 0, key.stop
        total = self.total
        if total is not None and stop is not None and start > total - stop:
            # Nearer the end: walk from the other end in the reverse order (page
            # 2,000 of 2,076 skips 1,900 entries, not 50,000), then flip the rows.
            rows = self._slice(self.queryset.reverse(), max(0, total - stop), total - start)
            return list(rows)[::-1]
        return self._slice(self.queryset, start, stop)

    @staticmethod
    def _slice(queryset: QuerySet[Case], start: int, stop: int | None) -> QuerySet[Case]:
        key = slice(start, stop)
        if start < DEFERRED_JOIN_FROM:
            return queryset[key]
        # The outer query keeps the log's filters and annotations: the ids only
        # narrow it, they never widen it.
        return queryset.filter(pk__in=queryset.values("pk")[key])


@dataclass
class CaseLog:
    filterset: CaseFilter
    queryset: QuerySet[Case]
    is_narrowed: bool

    @property
    def page_size(self) -> int:
        return self.filterset.page_size

    @property
    def columns(self) -> list[SortColumn]:
        return sort_columns(self.filterset.ordering)

    @cached_property
    def paginator(self) -> Paginator:
        return Paginator(_DeferredJoinList(self.queryset), self.page_size)

    def page(self, number: Any) -> Page:
        """The page `number`; a malformed number is page 1, one past the end the last page."""
        return self.paginator.get_page(number)


def member_emails_of(user: Any) -> list[str]:
    """E-mails of every authorized user in the user's accounts (filter choices).

    One query gives both those e-mails and the user's own account ids, which it
    leaves in `cases.access`'s per-request cache: the log then needs no separate
    membership query (5 queries a page, with the session and the user).
    """
    if not getattr(user, "is_authenticated", False):
        return []
    rows = Membership.objects.filter(account__memberships__user_id=user.pk).values_list(
        "account_id", "user__email"
    )
    pairs = list(rows)
    if getattr(user, access._CACHE_ATTR, None) is None:
        setattr(user, access._CACHE_ATTR, sorted({account for account, _ in pairs}))
    return sorted({email for _, email in pairs})


def case_log(*, user: Any, params: QueryDict) -> CaseLog:
    member_emails = member_emails_of(user)  # first: it fills the account-id cache
    filterset = CaseFilter(
        params,
        queryset=cases_visible_to(user).only(*LOG_COLUMNS),
        user=user,
        member_emails=member_emails,
    )
    queryset = filterset.qs
    narrowed = filterset.is_narrowed
    if not narrowed:
        queryset = queryset.exclude(expired_q())
    return CaseLog(filterset=filterset, queryset=queryset, is_narrowed=narrowed)
