from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cases.access import AuthenticatedHttpRequest, get_case_for_user, viewer_for
from cases.attention import decorate_log_rows
from cases.display import log_rows_html
from cases.export import csv_export_response
from cases.filters import filter_chips
from cases.forms import CaseEditForm, ProfileForm
from cases.models import STATE_BADGES, STATE_MEANINGS, CaseState
from cases.selectors import case_log
from cases.services import (
    RepeatedSaveError,
    StaleCaseError,
    case_update,
    user_set_preferences,
)
from correspondence.notifications import notify_new_owner

EDITABLE_FIELDS = ("primary_email", "cc_list", "short_description")


@require_GET
def case_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    viewer = viewer_for(request)
    log = case_log(viewer=viewer, params=request.GET)
    page = log.page(request.GET.get("page"))
    search_text = getattr(log.filterset.form, "cleaned_data", {}).get("q") or ""
    page.object_list = decorate_log_rows(viewer, list(page.object_list), search_text=search_text)
    return render(
        request,
        "cases/case_list.html",
        {
            "log": log,
            "filter": log.filterset,
            "chips": filter_chips(log.filterset, request.GET),
            "page": page,
            "log_rows": log_rows_html(page.object_list),
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
    glossary = [(state, STATE_BADGES[state], STATE_MEANINGS[state]) for state in CaseState]
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
                on_owner_change=notify_new_owner,
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
            user_set_preferences(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            translation.activate(form.cleaned_data["language"])
            messages.success(request, _("Your preferences were saved."))
            response = redirect("profile")
            # The site follows the language at once, as the header's switcher does.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                form.cleaned_data["language"],
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            )
            return response
    return render(request, "registration/profile.html", {"form": form})
