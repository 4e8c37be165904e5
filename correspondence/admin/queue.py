"""The queue: the order of the agents' case list, and the case after this one in
it ("Send and next" on the case page, `workspace.py`)."""

import copy

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.http import QueryDict

from cases.models import Case

# "Send and next" looks for the case in this many cases of its list at most, so many a query.
NEXT_CASE_SCAN = 10_000
NEXT_CASE_BATCH = 500


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
