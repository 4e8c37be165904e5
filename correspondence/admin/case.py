"""`CaseAdmin`, the agents' case list and case page: the list's columns,
filters, search and CSV export; the case page's fields and permissions; and the
URLs of every page it has."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, IGNORED_PARAMS, PAGE_VAR, SEARCH_VAR
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from cases.admin import (
    AssigneeFilter,
    EscalatedFilter,
    OverdueFilter,
    TurnFilter,
    case_flags,
    waiting_text,
)
from cases.export import csv_export_response
from cases.models import Case
from cases.search import filter_cases, match_count
from correspondence.admin.actions import CaseActionsMixin
from correspondence.admin.inlines import HistoryInline, MessageInline
from correspondence.admin.queue import CappedPaginator, CaseQueueMixin
from correspondence.admin.workspace import CaseWorkspaceMixin


class CaseAdmin(CaseWorkspaceMixin, CaseQueueMixin, CaseActionsMixin, admin.ModelAdmin):
    """The list's order is the queue's (`queue.py`); its actions and who may act
    (`has_act_permission`) are in `actions.py`; the case page's reply and notes in
    `workspace.py`; its thread and history in `inlines.py`."""

    list_display = [
        "id",
        "short_description",
        "state",
        "waiting",
        "flags",
        "support_team",
        "assignee",
        "account",
        "primary_email",
        "created_at",
        "last_activity_at",
    ]
    list_display_links = ["id", "short_description"]
    list_filter = [
        "state",
        TurnFilter,
        OverdueFilter,
        EscalatedFilter,
        "answer_not_accepted",
        AssigneeFilter,
        "support_team",
        ("created_at", admin.DateFieldListFilter),
        "account",
    ]
    # Shows the search box; the search itself is `get_search_results` (cases.search).
    search_fields = ["=id", "primary_email", "short_description"]
    search_help_text = _(
        "Case ID (whole or its first 4 digits or more), the owner's e-mail (whole or "
        "its beginning), or words of the description, of any message or of an internal note."
    )
    date_hierarchy = "created_at"
    list_select_related = ["support_team", "account", "assignee"]
    list_per_page = 50
    # One mark for "nothing here" in every column (the derived columns write "—").
    empty_value_display = "—"
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts cost a full scan at 1M cases
    change_form_template = "admin/cases/case/change_form.html"
    readonly_fields = (
        "id",
        "account",
        "created_at",
        "state",
        "primary_email",
        "cc_addresses",
        "short_description",
        "support_team",
        "last_activity_at",
        "resolved_at",
        "waiting_since",
        "auto_resolve_at",
        "answer_not_accepted",
        "escalation",
        "assignee",
    )
    fields = readonly_fields
    # The seller's page of a case serves its account's members only: no link there.
    view_on_site = False
    # The thread (newest first), then the history.
    inlines = [MessageInline, HistoryInline]

    # The list's cells are drawn from `cases.admin.QueueRow` (the change list's
    # `result_list` block); these two name and order their columns.
    @admin.display(description=_("waiting since"), ordering="waiting_since")
    def waiting(self, case: Case) -> str:
        return waiting_text(case)

    @admin.display(description=_("flags"))
    def flags(self, case: Case) -> str:
        return case_flags(case)

    @admin.display(description=_("escalation"))
    def escalation(self, case: Case) -> str:
        if not case.is_escalated:
            return "—"
        when = formats.date_format(timezone.localtime(case.escalated_at), "SHORT_DATETIME_FORMAT")
        reason = case.get_escalation_reason_display()
        return f"{when}: {reason}" + (f" — {case.escalation_text}" if case.escalation_text else "")

    @admin.display(description=_("CC list"))
    def cc_addresses(self, case: Case) -> str:
        return ", ".join(case.cc_list) or "—"

    def get_search_results(self, request, queryset, search_term):
        # The seller's log and the agents share one definition of a match
        # (`cases.search`), plus the owner's e-mail, exact or as a prefix, through
        # the term index (a substring of an e-mail would need a full scan).
        if not search_term.strip():
            return queryset, False
        return filter_cases(queryset, search_term, owner_email=True, notes=True), False

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        """Pages counted up to a bound (`CappedPaginator`); a search with no filter
        is counted in the term index, as the seller's log counts one: its matches'
        rows are not read (9,197 cases of one e-mail: ~100 ms → 2–5 ms)."""
        text = request.GET.get(SEARCH_VAR, "")
        filtered = set(request.GET) - {*IGNORED_PARAMS, PAGE_VAR, ERROR_FLAG}

        def search_count() -> int | None:
            return match_count(text, account_ids=None, owner_email=True, notes=True)

        alone = text.strip() and not filtered
        return CappedPaginator(queryset, per_page, counter=search_count if alone else None)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # cases change only through the actions (actions.py)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        urls = super().get_urls()
        view = self.admin_site.admin_view
        return [
            path(
                "<int:case_id>/act/<str:event>/",
                view(self.act_view),
                name="cases_case_act",
            ),
            path(
                "<int:case_id>/reply/",
                view(self.reply_view),
                name="cases_case_reply",
            ),
            path(
                "<int:case_id>/resolve/",
                view(self.resolve_view),
                name="cases_case_resolve",
            ),
            path(
                "<int:case_id>/clear-escalation/",
                view(self.clear_escalation_view),
                name="cases_case_clear_escalation",
            ),
            path(
                "<int:case_id>/transfer/",
                view(self.transfer_view),
                name="cases_case_transfer",
            ),
            path("<int:case_id>/note/", view(self.note_view), name="cases_case_note"),
            path("<int:case_id>/take/", view(self.take_view), name="cases_case_take"),
            path("<int:case_id>/assign/", view(self.assign_view), name="cases_case_assign"),
            path("bulk/<int:job_id>/", view(self.bulk_job_view), name="cases_case_bulk_job"),
            path("export.csv", view(self.export_view), name="cases_case_export"),
            *urls,
        ]

    def export_view(self, request: HttpRequest) -> HttpResponseBase:
        """The filtered, sorted case list as CSV: the seller export's columns and rules
        (`cases.export`), every matching case, not only the page shown."""
        if request.method != "GET" or not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            # What the list itself does with a filter it cannot apply.
            return HttpResponseRedirect(f"{reverse('admin:cases_case_changelist')}?{ERROR_FLAG}=1")
        return csv_export_response(changelist.get_queryset(request))
