"""The moves agents make on cases: take, assign, reopen, resolve, transfer and
clear the escalation. The same moves come from the case list (actions on a
selection) and from the case page's buttons, and share their confirmation pages
(`from_list` tells them apart); a large selection is queued as a background job
whose progress has a page of its own."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cases.access import get_case_for_support
from cases.forms import AssignForm, ClearEscalationForm, TransferForm
from cases.models import Case, CaseEvent
from cases.services import CaseStateError, case_assign, case_clear_escalation, case_transition
from correspondence.models import BulkJob
from correspondence.services import BULK_IN_BACKGROUND, bulk_job_start

# An action's confirmation lists this many of the selected cases, then counts the rest.
SELECTION_SHOWN = 100


class CaseActionsMixin(admin.ModelAdmin):
    """The moves on cases, their pages and who may make them; composed into `CaseAdmin`."""

    actions = ["take_cases", "assign_cases", "reopen_cases", "resolve_cases", "transfer_cases"]

    def has_act_permission(self, request) -> bool:
        return request.user.has_perm("cases.act_on_case")

    def _case_or_404(self, request, case_id: int) -> Case:
        if not self.has_act_permission(request):
            raise PermissionDenied
        return get_case_for_support(request.user, case_id)

    # --- actions, from the list and from the case page --------------------

    def _apply(self, request, cases, event: str, *, team=None, note: str = "") -> int:
        if isinstance(cases, QuerySet):
            ids = list(cases.values_list("pk", flat=True))
            if len(ids) > BULK_IN_BACKGROUND:
                return self._apply_in_background(request, ids, event, team=team, note=note)
        done = 0
        for case in cases:
            try:
                # The move queues the seller's e-mail in its own transaction.
                case_transition(case=case, event=event, actor=request.user, team=team, note=note)
            except CaseStateError as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d case: %(action)s.",
                    "%(count)d cases: %(action)s.",
                    done,
                )
                % {"count": done, "action": CaseEvent(event).label},
                messages.SUCCESS,
            )
        return done

    def _apply_in_background(self, request, ids, event: str, *, team, note: str) -> int:
        """A large selection: queued for the worker; the agent follows its progress."""
        job = bulk_job_start(actor=request.user, event=event, case_ids=ids, team=team, note=note)
        self.message_user(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                ngettext(
                    "%(count)d case will be moved in the background: %(action)s.",
                    "%(count)d cases will be moved in the background: %(action)s.",
                    job.total,
                )
                % {"count": job.total, "action": CaseEvent(event).label},
                reverse("admin:cases_case_bulk_job", args=[job.pk]),
                _("Follow its progress"),
            ),
            messages.SUCCESS,
        )
        return 0

    @admin.action(description=_("Take selected cases (assign to me)"), permissions=["act"])
    def take_cases(self, request, queryset) -> None:
        self._assign(request, queryset, request.user)

    @admin.action(description=_("Assign selected cases to…"), permissions=["act"])
    def assign_cases(self, request, queryset) -> TemplateResponse | None:
        form = AssignForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._assign(request, queryset, form.cleaned_data["assignee"])
            return None
        return self._assign_page(request, form, queryset, from_list=True)

    def _assign(self, request, cases, assignee) -> None:
        count = 0
        for case in cases:
            try:
                case_assign(case=case, actor=request.user, assignee=assignee)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d case assigned to %(agent)s.",
                "%(count)d cases assigned to %(agent)s.",
                count,
            )
            % {"count": count, "agent": assignee},
            messages.SUCCESS,
        )

    def _assign_page(self, request, form, cases, *, from_list: bool) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": _("Assign cases to an agent"),
            "opts": self.model._meta,
            "form": form,
            "from_list": from_list,
            **self._selection(request, cases),
        }
        return TemplateResponse(request, "admin/cases/case/assign.html", context)

    @admin.action(description=_("Reopen selected resolved cases"), permissions=["act"])
    def reopen_cases(self, request, queryset) -> None:
        self._apply(request, queryset, CaseEvent.REOPENED)

    @admin.action(description=_("Resolve selected cases…"), permissions=["act"])
    def resolve_cases(self, request, queryset) -> TemplateResponse | None:
        if "apply" in request.POST:
            self._apply(request, queryset, CaseEvent.RESOLVED)
            return None
        return self._confirm_page(request, queryset, from_list=True)

    def _selection(self, request, cases) -> dict:
        """What an action's confirmation shows and carries: the first cases of the
        selection and their count; "all N cases of the list" travels as the admin's
        own `select_across` (the list's filters stay in the page's URL), not as N ids."""
        shown = list(cases[:SELECTION_SHOWN])
        return {
            "cases": shown,
            "total": cases.count() if isinstance(cases, QuerySet) else len(shown),
            "select_across": request.POST.get("select_across") == "1",
            "selected_ids": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }

    def _confirm_page(self, request, cases, *, from_list: bool) -> TemplateResponse:
        """Resolving ends the conversation (and e-mails the sellers): asked first."""
        context = {
            **self.admin_site.each_context(request),
            "title": _("Resolve cases"),
            "opts": self.model._meta,
            "from_list": from_list,
            **self._selection(request, cases),
        }
        return TemplateResponse(request, "admin/cases/case/resolve_confirm.html", context)

    @admin.action(description=_("Transfer selected cases to a team…"), permissions=["act"])
    def transfer_cases(self, request, queryset) -> TemplateResponse | None:
        form = TransferForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._apply(
                request,
                queryset,
                CaseEvent.TRANSFERRED,
                team=form.cleaned_data["team"],
                note=form.cleaned_data["note"],
            )
            return None
        return self._transfer_page(request, form, queryset, from_list=True)

    def _transfer_page(self, request, form, cases, *, from_list: bool) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": _("Transfer cases to another team"),
            "opts": self.model._meta,
            "form": form,
            "from_list": from_list,
            **self._selection(request, cases),
        }
        return TemplateResponse(request, "admin/cases/case/transfer.html", context)

    # --- the case page's buttons (the pages above, for one case) ---------

    def act_view(self, request, case_id: int, event: str) -> HttpResponseRedirect:
        case = self._case_or_404(request, case_id)
        if request.method != "POST" or event not in {CaseEvent.REOPENED, CaseEvent.RESOLVED}:
            raise PermissionDenied
        self._apply(request, [case], event)
        return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case.pk]))

    def resolve_view(self, request, case_id: int) -> HttpResponse:
        """The confirmation before the case page's Resolve (it posts to `act_view`)."""
        case = self._case_or_404(request, case_id)
        return self._confirm_page(request, [case], from_list=False)

    def clear_escalation_view(self, request, case_id: int) -> HttpResponse:
        case = self._case_or_404(request, case_id)
        form = ClearEscalationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                case_clear_escalation(case=case, actor=request.user, note=form.cleaned_data["note"])
            except CaseStateError as error:
                self.message_user(request, error.message, messages.WARNING)
            else:
                self.message_user(request, _("The escalation was cleared."), messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Clear the escalation of case %(id)s") % {"id": case.pk},
            "opts": self.model._meta,
            "original": case,
            "form": form,
        }
        return TemplateResponse(request, "admin/cases/case/clear_escalation.html", context)

    def transfer_view(self, request, case_id: int) -> HttpResponse:
        case = self._case_or_404(request, case_id)
        form = TransferForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            self._apply(
                request,
                [case],
                CaseEvent.TRANSFERRED,
                team=form.cleaned_data["team"],
                note=form.cleaned_data["note"],
            )
            return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case.pk]))
        return self._transfer_page(request, form, [case], from_list=False)

    def take_view(self, request, case_id: int) -> HttpResponseRedirect:
        case = self._case_or_404(request, case_id)
        if request.method != "POST":
            raise PermissionDenied
        self._assign(request, [case], request.user)
        return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case.pk]))

    def assign_view(self, request, case_id: int) -> HttpResponse:
        case = self._case_or_404(request, case_id)
        form = AssignForm(request.POST or None, initial={"assignee": case.assignee_id})
        if request.method == "POST" and form.is_valid():
            self._assign(request, [case], form.cleaned_data["assignee"])
            return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case.pk]))
        return self._assign_page(request, form, [case], from_list=False)

    def bulk_job_view(self, request, job_id: int) -> HttpResponse:
        """The progress of a bulk action (it refreshes itself while it runs)."""
        if not self.has_act_permission(request):
            raise PermissionDenied
        job = get_object_or_404(BulkJob, pk=job_id)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Bulk action: %(action)s") % {"action": CaseEvent(job.event).label},
            "opts": self.model._meta,
            "job": job,
        }
        return TemplateResponse(request, "admin/cases/case/bulk_job.html", context)
