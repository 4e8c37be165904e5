"""The queue: the order of the agents' case list, its pages (counted up to a
bound), and the case after this one in it ("Send and next" on the case page,
`workspace.py`)."""

import copy
from collections.abc import Callable
from functools import cached_property

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import QueryDict

from cases.access import cases_by_ids_for_page
from cases.models import Case
from cases.selectors import DEFERRED_JOIN_FROM

# "Send and next" looks for the case in this many cases of its list at most, so many a query.
NEXT_CASE_SCAN = 10_000
NEXT_CASE_BATCH = 500
# The list counts its cases up to this many: past it, the list says "more than
# 10,000" and its pages stop there (200 pages of 50); an agent narrows it instead.
COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """The list's pages, counted up to COUNT_CAP: the count reads at most
    COUNT_CAP + 1 rows (`SELECT COUNT(*) FROM (… LIMIT 10001)`), whatever the size
    of the list (the exact count of 1,000,000 cases was 40–100 ms on PostgreSQL).

    `count` is the exact number up to the cap, the cap past it (`capped` says so);
    `counter`, when given, is the same number by a faster query, or None when it
    cannot tell (the search alone, from its index: `CaseAdmin.get_paginator`).

    A page from DEFERRED_JOIN_FROM on is read as the seller's log reads one
    (`cases.selectors`): its ids from the list's index in a subquery (index-only),
    its rows by primary key, in one query; page 100 then skips 4,950 index entries
    instead of 4,950 rows and their joins (PostgreSQL: 15 → 3 ms)."""

    def __init__(
        self,
        object_list: QuerySet[Case],
        per_page: int,
        *,
        counter: Callable[[], int | None] | None = None,
    ) -> None:
        super().__init__(object_list, per_page)
        self.queryset = object_list
        self.counter = counter

    @cached_property
    def _counted(self) -> int:
        found = self.counter() if self.counter is not None else None
        if found is None:
            found = self.queryset.order_by()[: COUNT_CAP + 1].count()
        return found

    @cached_property
    def count(self) -> int:
        return min(self._counted, COUNT_CAP)

    @property
    def capped(self) -> bool:
        """More cases than COUNT_CAP match: `count` is the cap, not the number."""
        return self._counted > COUNT_CAP

    def page(self, number: int | str) -> Page:
        valid = self.validate_number(number)
        bottom = (valid - 1) * self.per_page
        if bottom < DEFERRED_JOIN_FROM:
            return super().page(valid)
        top = min(bottom + self.per_page, self.count)
        query = self.queryset.query
        # The outer query names the page's ids alone: with the list's filters too,
        # SQLite walked the filter's index to test `id IN (…)` (1 → 9 ms).
        rows = cases_by_ids_for_page(self.queryset.values("pk")[bottom:top])
        if isinstance(query.select_related, dict):
            rows = rows.select_related(*query.select_related)
        return Page(rows.order_by(*query.order_by), valid, self)


class CaseQueueMixin(admin.ModelAdmin):
    """The case list's order and the next case in it; composed into `CaseAdmin`."""

    # The queue: escalated cases first within support's turn, then the rest of
    # support's turn, each by the longest wait; the other cases after (QueueRank).
    # One index each for this order alone and under the state and assignee filters.
    # (Within a rank `waiting_since` is all set or all empty, so its NULLs sort the
    # same on both databases.)
    ordering = ["queue_rank", "waiting_since", "id"]

    def _next_case_id(self, request, case: Case) -> int | None:
        """The case after `case` in the case list with the agent's filters and order
        (`_changelist_filters`, as the admin passes them to the case page). Read
        before the reply is sent: sending may move `case` out of that list."""
        list_request = copy.copy(request)
        list_request.GET = QueryDict(request.POST.get("_changelist_filters", ""))
        try:
            changelist = self.get_changelist_instance(list_request)
        except IncorrectLookupParameters:
            return None
        ids = changelist.get_queryset(list_request).values_list("pk", flat=True)
        found = False
        # The agent works from the top of the list: a few batches find the case.
        for start in range(0, NEXT_CASE_SCAN, NEXT_CASE_BATCH):
            batch = list(ids[start : start + NEXT_CASE_BATCH])
            for pk in batch:
                if found:
                    return pk
                found = pk == case.pk
            if len(batch) < NEXT_CASE_BATCH:
                break
        return None
