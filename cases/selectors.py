"""Reads of the case log, for the HTML page and the CSV export alike.

Both call `case_log`, so the export is always exactly what the log displays:
the cases visible to the user → the FilterSet → the default view → the sort.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import QueryDict

from cases.access import account_ids_for, cases_visible_to
from cases.filters import CaseFilter, SortColumn, sort_columns
from cases.models import Case, Membership, expired_q

LOG_COLUMNS = ("id", "created_at", "state", "primary_email", "short_description", "resolved_at")


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

    def page(self, number: Any) -> Page:
        return Paginator(self.queryset, self.page_size).get_page(number)


def member_emails_of(user: Any) -> list[str]:
    """E-mails of every authorized user in the user's accounts (filter choices)."""
    return sorted(
        set(
            Membership.objects.filter(account_id__in=account_ids_for(user)).values_list(
                "user__email", flat=True
            )
        )
    )


def case_log(*, user: Any, params: QueryDict) -> CaseLog:
    filterset = CaseFilter(
        params,
        queryset=cases_visible_to(user).only(*LOG_COLUMNS),
        user=user,
        member_emails=member_emails_of(user),
    )
    queryset = filterset.qs
    narrowed = filterset.is_narrowed
    if not narrowed:
        queryset = queryset.exclude(expired_q())
    return CaseLog(filterset=filterset, queryset=queryset, is_narrowed=narrowed)
