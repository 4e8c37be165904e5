"""The admin site: Django's, refusing a malformed selection in every list action.

Django's changelist filters the selected rows with `pk__in=<what was posted>`;
a tampered `_selected_action=abc` then fails as a server error. This site gives
every registered ModelAdmin (ours, Django's groups, django-axes) the check below,
so a new admin cannot forget it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from correspondence.overview import REFRESH_EVERY, chart, current_overview, team_rows


class SafeActionsMixin:
    """A list action on rows whose keys are not keys of this model is a 400."""

    model: Any

    def response_action(
        self, request: HttpRequest, queryset: Any, *args: Any, **kwargs: Any
    ) -> HttpResponseBase | None:
        pk = self.model._meta.pk
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            try:
                pk.run_validators(pk.to_python(value))
            except ValidationError:
                raise BadRequest("Malformed selection for an admin action.") from None
        return super().response_action(request, queryset, *args, **kwargs)  # type: ignore[misc]


class CaselogAdminSite(admin.AdminSite):
    def get_urls(self) -> list[URLResolver | URLPattern]:
        overview = path("overview/", self.admin_view(self.overview_view), name="overview")
        return [overview, *super().get_urls()]

    def overview_view(self, request: HttpRequest) -> TemplateResponse:
        """The lead's overview: the backlog at a glance (correspondence.overview)."""
        if not request.user.has_perm("cases.view_case"):
            raise PermissionDenied
        snapshot = current_overview()
        context = {
            **self.each_context(request),
            "title": _("Overview"),
            "snapshot": snapshot,
            "teams": team_rows(snapshot),
            "chart": chart(snapshot),
            "refresh_minutes": int(REFRESH_EVERY.total_seconds() // 60),
        }
        return TemplateResponse(request, "admin/overview.html", context)

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, SafeActionsMixin):
            admin_class = type(
                admin_class.__name__,
                (SafeActionsMixin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)
