from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases.export import csv_export_response
from cases.models import STATE_BADGES, STATE_MEANINGS, CaseState
from cases.selectors import case_log


@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    log = case_log(user=request.user, params=request.GET)
    page = log.page(request.GET.get("page"))
    return render(
        request,
        "cases/case_list.html",
        {
            "log": log,
            "filter": log.filterset,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number),
            "query": request.GET.urlencode(),
        },
    )


@require_GET
def case_export(request: HttpRequest) -> HttpResponse:
    log = case_log(user=request.user, params=request.GET)
    if not log.queryset.exists():
        messages.info(request, _("There is nothing to export: the current view shows no case."))
        query = request.GET.urlencode()
        return redirect(reverse("cases:list") + (f"?{query}" if query else ""))
    return csv_export_response(log.queryset)


@require_GET
def case_help(request: HttpRequest) -> HttpResponse:
    glossary = [(state, STATE_BADGES[state], STATE_MEANINGS[state]) for state in CaseState]
    return render(
        request,
        "cases/help.html",
        {"glossary": glossary, "expire_days": settings.CASELOG_EXPIRE_AFTER_DAYS},
    )
