"""The agent's pages in the admin: the case list and the case page, with the
thread, the reply form, saved replies and the actions (reopen, resolve, transfer,
clear escalation); the attachment download; the saved replies.

The case page lives here, not in `cases/admin.py`, because it is where the two
apps meet (as the seller's case page does, in `correspondence/views.py`):
`correspondence` builds on `cases`, never the reverse, so the page that needs
both is composed on this side. The pieces that need only cases (the history
inline, the list filters, the transfer and clear-escalation forms) come from
`cases`; every write goes through the services of either app.
"""

import copy
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    QueryDict,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from cases.access import get_case_for_support, is_support_staff
from cases.admin import (
    AssigneeFilter,
    CaseHistoryInline,
    EscalatedFilter,
    OverdueFilter,
    TurnFilter,
)
from cases.export import csv_export_response
from cases.forms import AssignForm, ClearEscalationForm, TransferForm
from cases.models import Case, CaseEvent
from cases.search import filter_cases
from cases.selectors import recipient_language
from cases.services import CaseStateError, case_assign, case_clear_escalation, case_transition
from correspondence.forms import NoteForm, SupportReplyForm, reply_post
from correspondence.models import PLACEHOLDERS, Attachment, BulkJob, Message, SavedReply
from correspondence.selectors import NEWEST_SHOWN, attachments_for_support, case_changes_since
from correspondence.services import (
    BULK_IN_BACKGROUND,
    CaseChangedError,
    DuplicateSubmissionError,
    bulk_job_start,
    case_note_add,
    uploads_hold,
    uploads_release,
)
from correspondence.views import attachment_response

# "Send and next" looks for the case in this many cases of its list at most, so many a query.
NEXT_CASE_SCAN = 10_000
NEXT_CASE_BATCH = 500


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """No pages of its own: the download agents use on the admin case page.

    Files reach agents through the support door (`attachments_for_support`), with
    the same headers as the seller download; the seller URL serves members only.
    """

    def has_module_permission(self, request: HttpRequest) -> bool:
        return False  # nothing to list in the admin index

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        download = self.admin_site.admin_view(require_GET(self.download_view))
        return [path("<str:token>/download/", download, name="correspondence_attachment_download")]

    def download_view(self, request: HttpRequest, token: str) -> FileResponse:
        if not is_support_staff(request.user):
            raise PermissionDenied
        return attachment_response(attachments_for_support(request.user), token)


class NewestMessagesFormSet(BaseInlineFormSet):
    """The thread's newest messages only (`NEWEST_SHOWN`): rendering every message
    of a long thread took seconds. `message_count` tells the page how many there are."""

    @cached_property
    def _newest(self) -> QuerySet[Message]:
        return super().get_queryset()[:NEWEST_SHOWN]

    def get_queryset(self) -> QuerySet[Message]:
        return self._newest  # one query, however often the formset asks

    @cached_property
    def message_count(self) -> int:
        return super().get_queryset().count()


class MessageInline(admin.StackedInline):
    """The thread on the admin case page: read-only, one compact block a message
    (`_messages.html`); agents reply with the reply form. The newest messages;
    `?messages=all` (a plain link under them) shows every one."""

    model = Message
    template = "admin/cases/case/_messages.html"
    slot = "thread"  # where the case page puts it (change_form.html)
    extra = 0
    can_delete = False
    fields = readonly_fields = ("sent_at", "direction", "author", "subject", "body")
    ordering = ["-sent_at", "-id"]
    verbose_name = _("message")
    verbose_name_plural = _("messages (newest first)")

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("author").prefetch_related("attachments")
        )

    def get_formset(self, request, obj=None, **kwargs):
        if request.GET.get("messages") != "all":
            kwargs["formset"] = NewestMessagesFormSet
        return super().get_formset(request, obj, **kwargs)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class HistoryInline(CaseHistoryInline):
    """The history beside the thread, one line a change, its values in words."""

    template = "admin/cases/case/_history.html"
    slot = "side"


@admin.register(SavedReply)
class SavedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "has_french", "updated_at"]
    search_fields = ["title", "body_en", "body_fr"]
    fields = ["title", "body_en", "body_fr"]

    @admin.display(description=_("in French"), boolean=True)
    def has_french(self, reply: SavedReply) -> bool:
        return bool(reply.body_fr.strip())

    def get_form(self, request, obj=None, change=False, **kwargs):
        placeholders = format_html_join(
            ", ", "<code>{{{}}}</code> ({})", ((name, text) for name, text in PLACEHOLDERS.items())
        )
        help_text = format_html(
            "{} {}", _("Filled in for the case the reply is used on:"), placeholders
        )
        kwargs["help_texts"] = {"body_en": help_text, "body_fr": help_text}
        return super().get_form(request, obj, change, **kwargs)


# An action's confirmation lists this many of the selected cases, then counts the rest.
SELECTION_SHOWN = 100


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
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
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts cost a full scan at 1M cases
    # The queue: escalated cases first within support's turn, then the rest of
    # support's turn, each by the longest wait; the other cases after (QueueRank).
    # One index each for this order alone and under the state and assignee filters.
    # (Within a rank `waiting_since` is all set or all empty, so its NULLs sort the
    # same on both databases.)
    ordering = ["queue_rank", "waiting_since", "id"]
    actions = ["take_cases", "assign_cases", "reopen_cases", "resolve_cases", "transfer_cases"]
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

    @admin.display(description=_("waiting since"), ordering="waiting_since")
    def waiting(self, case: Case) -> str:
        if case.waiting_since is None:
            return "—"
        text = formats.date_format(timezone.localtime(case.waiting_since), "SHORT_DATETIME_FORMAT")
        if case.is_overdue:
            return format_html('{} <strong class="overdue">{}</strong>', text, _("overdue"))
        return text

    @admin.display(description=_("flags"))
    def flags(self, case: Case) -> str:
        marks = []
        if case.is_escalated:
            marks.append(str(_("escalated")))
        if case.answer_not_accepted:
            marks.append(str(_("answer not accepted")))
        return ", ".join(marks) or "—"

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

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # cases change only through the actions below

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_act_permission(self, request) -> bool:
        return request.user.has_perm("cases.act_on_case")

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

    def _case_or_404(self, request, case_id: int) -> Case:
        if not self.has_act_permission(request):
            raise PermissionDenied
        return get_case_for_support(request.user, case_id)

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

    def note_view(self, request, case_id: int) -> HttpResponse:
        """An internal note: agents only; the seller never sees it."""
        case = self._case_or_404(request, case_id)
        form = NoteForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid() and self._post_note(request, case, form):
            return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Internal note on case %(id)s") % {"id": case.pk},
            "opts": self.model._meta,
            "original": case,
            "form": form,
        }
        return TemplateResponse(request, "admin/cases/case/note.html", context)

    def _post_note(self, request, case: Case, form: NoteForm) -> bool:
        data = form.cleaned_data
        try:
            case_note_add(
                case=case,
                author=request.user,
                body=data["body"],
                files=data["attachments"],
                client_token=form.client_token,
            )
        except DuplicateSubmissionError:
            self.message_user(request, _("This note was already added."), messages.INFO)
        except ValidationError as error:
            form.add_error(None, error)
            return False
        else:
            self.message_user(request, _("Your internal note was added."), messages.SUCCESS)
        return True

    def reply_view(self, request, case_id: int) -> HttpResponse:
        """The reply form's target (it sits on the case page): send the reply, or
        show the form again (an error, a saved reply picked without JavaScript, or
        the case changed since the page was shown) with what was typed."""
        case = self._case_or_404(request, case_id)
        saved = self._saved_replies(request, case)
        form = SupportReplyForm(request.POST or None, request.FILES or None)
        changes = held_names = None
        if request.method != "POST":
            form = self._reply_form(case)
        elif "use_saved" in request.POST:
            form = self._reply_form(case, self._typed_with_saved(request.POST, saved))
        elif form.is_valid():
            next_id = self._next_case_id(request, case) if "_next" in request.POST else None
            try:
                sent = self._post_reply(request, case, form)
            except CaseChangedError as changed:
                # Nothing was sent: show what changed; the text and files wait here.
                changes = case_changes_since(changed.case, form.cleaned_data["opened_at"])
                files = form.cleaned_data["attachments"]
                held_names = [upload.name for upload in files]
                typed = {**form.cleaned_data, "held": uploads_hold(files) if files else ""}
                uploads_release(form.race_files)
                form = self._reply_form(changed.case, typed)
            else:
                if sent:
                    uploads_release(form.race_files)
                    return self._after_reply(request, case, next_id, "_next" in request.POST)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reply to case %(id)s") % {"id": case.pk},
            "opts": self.model._meta,
            "original": case,
            "reply_form": form,
            "saved_replies": saved,
            "changes": changes,
            "held_names": held_names or form.held_names,
            "changelist_filters": request.POST.get("_changelist_filters", ""),
        }
        return TemplateResponse(request, "admin/cases/case/reply.html", context)

    def _reply_form(self, case: Case, typed: dict | None = None) -> SupportReplyForm:
        """A fresh reply form for the case as it is now (its `version`), holding
        what was typed."""
        initial = {key: value for key, value in (typed or {}).items() if key != "attachments"}
        initial.update(version=case.version, opened_at=timezone.now().isoformat())
        return SupportReplyForm(initial=initial)

    @staticmethod
    def _typed_with_saved(data, saved: list[tuple[SavedReply, str]]) -> dict:
        """The typed fields, the picked saved reply added after the typed text."""
        typed = data.dict()
        text = next((text for reply, text in saved if str(reply.pk) == data.get("saved")), "")
        body = typed.get("body", "")
        typed["body"] = f"{body}\n\n{text}" if body.strip() and text else body + text
        return typed

    def _after_reply(self, request, case: Case, next_id: int | None, wants_next: bool):
        """The case page again, or with "Send and next" the next case of the list the
        agent came from (the same filters), or that list when none is left."""
        filters = request.POST.get("_changelist_filters", "")
        query = f"?{urlencode({'_changelist_filters': filters})}" if filters else ""
        if not wants_next:
            return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case.pk]) + query)
        if next_id is None:
            self.message_user(request, _("No other case is left in this list."), messages.INFO)
            list_url = reverse("admin:cases_case_changelist")
            return HttpResponseRedirect(f"{list_url}?{filters}" if filters else list_url)
        return HttpResponseRedirect(reverse("admin:cases_case_change", args=[next_id]) + query)

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

    def _post_reply(self, request, case: Case, form) -> bool:
        """Send the reply; False if the form gets an error. CaseChangedError passes."""
        try:
            reply_post(
                form, case=case, author=request.user, direction=Message.Direction.FROM_SUPPORT
            )
        except DuplicateSubmissionError:
            self.message_user(request, _("This reply was already sent."), messages.INFO)
        except ValidationError as error:
            form.add_error(None, error)
            return False
        except CaseStateError as error:
            form.add_error(None, error.message)
            return False
        else:
            self.message_user(request, _("Your reply was sent to the seller."), messages.SUCCESS)
        return True

    def _saved_replies(self, request, case: Case) -> list[tuple[SavedReply, str]]:
        """The saved replies an agent may start from, each with its text for this
        case: in the case owner's language, placeholders filled in."""
        if not request.user.has_perm("correspondence.view_savedreply"):
            return []
        language = recipient_language(case.primary_email)
        agent_name = request.user.get_full_name() or request.user.email
        fill = {"case_id": case.pk, "seller_email": case.primary_email, "agent_name": agent_name}
        return [(reply, reply.text_for(language, **fill)) for reply in SavedReply.objects.all()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        can_act = self.has_act_permission(request)
        context = {"can_act": can_act, "events": CaseEvent, "reply_form": None}
        if can_act:
            case = get_case_for_support(request.user, object_id)
            saved = self._saved_replies(request, case)
            # `?saved=<id>`: the form starts with that saved reply (a plain link).
            picked = self._typed_with_saved(QueryDict(request.GET.urlencode()), saved)
            context.update(
                reply_form=self._reply_form(case, {"body": picked["body"]}),
                saved_replies=saved,
                saved_texts={str(reply.pk): text for reply, text in saved},
                changelist_filters=request.GET.get("_changelist_filters", ""),
            )
        extra_context = {**(extra_context or {}), **context}
        return super().change_view(request, object_id, form_url, extra_context)
