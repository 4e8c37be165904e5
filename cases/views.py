"""The seller pages of the `cases` app: the log and its export, the help page,
the case edit form, the profile, and the team page (the account's users and the
hand-off). The case page itself shows the thread: `correspondence/views.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from cases.access import (
    AuthenticatedHttpRequest,
    Viewer,
    accounts_of,
    get_case_for_user,
    viewer_for,
)
from cases.attention import log_rows
from cases.export import csv_export_response
from cases.forms import CaseEditForm, HandOffForm, ProfileForm
from cases.log_controls import filter_chips
from cases.models import NOT_CLOSED, Case, CaseState, SellerAccount
from cases.selectors import (
    account_member_emails,
    case_log,
    cases_hand_off_plan,
    copied_only_emails,
    open_case_counts,
)
from cases.services import (
    RepeatedSaveError,
    StaleCaseError,
    case_update,
    cases_hand_off,
    user_set_preferences,
)

EDITABLE_FIELDS = ("primary_email", "cc_list", "short_description")


# A state badge's HTML by (language, state, expired, days left): what
# `cases/_state_badge.html` reads of a case, so the same key renders the same HTML.
# A few hundred keys at most (states × the days before expiry × languages).
_BADGES: dict[tuple[str, str, bool, int | None], SafeString] = {}


def state_badges() -> Callable[[Case, bool], SafeString]:
    """`cases/_state_badge.html` of a case, rendered once per distinct badge (its
    state, whether expired, the days left) and language, then reused by every
    request: the include per row was a fifth of the log page's time, and one render
    per distinct badge of a page still a twentieth."""
    language = translation.get_language()

    def badge(case: Case, expired: bool) -> SafeString:
        key = (language, case.state, expired, None if expired else case.days_until_expiry)
        if key not in _BADGES:
            _BADGES[key] = render_to_string("cases/_state_badge.html", {"case": case})
        return _BADGES[key]

    return badge


@require_GET
def case_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    viewer = viewer_for(request)
    log = case_log(viewer=viewer, params=request.GET)
    page = log.page(request.GET.get("page"))
    search_text = getattr(log.filterset.form, "cleaned_data", {}).get("q") or ""
    badge = state_badges()
    rows = [
        replace(row, badge=badge(row.case, row.expired))
        for row in log_rows(list(page.object_list), search_text=search_text)
    ]
    return render(
        request,
        "cases/case_list.html",
        {
            "log": log,
            "filter": log.filterset,
            "chips": filter_chips(log.filterset, request.GET),
            "page": page,
            "rows": rows,
            # "Opened by" only on a page where a row was opened by someone else.
            "show_opened_by": any(row.opened_by for row in rows),
            "page_range": page.paginator.get_elided_page_range(page.number),
            "query": request.GET.urlencode(),
        },
    )


@require_GET
def case_export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    log = case_log(viewer=viewer_for(request), params=request.GET)
    if not log.queryset.exists():
        messages.info(request, _("There is nothing to export: the current view shows no case."))
        query = request.GET.urlencode()
        return redirect(reverse("cases:list") + (f"?{query}" if query else ""))
    return csv_export_response(log.queryset)


@require_GET
def case_help(request: AuthenticatedHttpRequest) -> HttpResponse:
    glossary = [(state, state.badge, state.meaning) for state in CaseState]
    return render(
        request,
        "cases/help.html",
        {"glossary": glossary, "expire_days": settings.CASELOG_EXPIRE_AFTER_DAYS},
    )


@require_http_methods(["GET", "POST"])
def case_edit(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_user(viewer_for(request), case_id)
    if case.is_expired:
        messages.error(request, _("This case has expired and can no longer be edited."))
        return redirect(case)
    form = CaseEditForm(request.POST or None, case=case)
    if request.method == "POST" and form.is_valid():
        try:
            changes = case_update(
                case=case,
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                **{name: form.cleaned_data[name] for name in EDITABLE_FIELDS},
            )
        except RepeatedSaveError as repeat:
            messages.success(request, str(repeat))
            return redirect(case)
        except StaleCaseError as error:
            case = get_case_for_user(viewer_for(request), case_id)
            form.add_error(None, str(error))
            form.refresh_version(case.version)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if changes:
                messages.success(request, _("The case was updated."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect(case)
    return render(request, "cases/case_edit.html", {"case": case, "form": form})


@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's language and time zone, side by side."""
    form = ProfileForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user_set_preferences(user=request.user, **form.changes())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # The confirmation in the language just chosen; UserLanguageMiddleware
            # sets this device's cookie to it, as the header's switcher does.
            translation.activate(request.user.language or translation.get_language())
            messages.success(request, _("Your preferences were saved."))
            return redirect("profile")
    return render(request, "registration/profile.html", {"form": form})


def _account_for(viewer: Viewer, account_id: int) -> SellerAccount:
    """The user's own account, or the same 404 as a missing one."""
    account = accounts_of(viewer).filter(pk=account_id).first()
    if account is None:
        raise Http404("No such account.")
    return account


@require_GET
def team_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    accounts = list(accounts_of(viewer_for(request)))
    if len(accounts) == 1:
        return redirect("team", accounts[0].pk)
    return render(request, "cases/team_index.html", {"accounts": accounts})


@require_http_methods(["GET", "POST"])
def team_detail(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    viewer = viewer_for(request)
    account = _account_for(viewer, account_id)
    members = account_member_emails(account.pk)
    counts = open_case_counts(viewer, account)
    former = sorted(email for email in counts if email not in members)
    copied = copied_only_emails(viewer, account, {*members, *former})
    form = HandOffForm(request.POST or None, members=members, former=former, copied=copied)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "confirm" not in request.POST:
            plan = cases_hand_off_plan(account=account, from_email=data["from_email"])
            return render(
                request,
                "cases/team_confirm.html",
                {"account": account, "form": form, "plan": plan, "to_email": data["to_email"]},
            )
        try:
            summary = cases_hand_off(account=account, actor=request.user, **data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, hand_off_message(summary))
            return redirect("team", account.pk)
    people = [(email, counts.get(email, 0), "member") for email in members]
    people += [(email, counts[email], "former") for email in former]
    people += [(email, 0, "copied") for email in copied]
    context = {"account": account, "people": people, "form": form, "open_states": NOT_CLOSED}
    return render(request, "cases/team.html", context)


def hand_off_message(summary: Any) -> str:
    moved = ngettext(
        "%(count)d case handed from %(from)s to %(to)s",
        "%(count)d cases handed from %(from)s to %(to)s",
        summary.moved,
    ) % {"count": summary.moved, "from": summary.from_email, "to": summary.to_email}
    removed = ngettext(
        "%(from)s removed from %(count)d CC list",
        "%(from)s removed from %(count)d CC lists",
        summary.cc_removed,
    ) % {"count": summary.cc_removed, "from": summary.from_email}
    return _("%(moved)s; %(removed)s.") % {"moved": moved, "removed": removed}
