"""The admin site: Django's, refusing a malformed selection in every list action
and a date filter the database cannot take.

Django's changelist filters the selected rows with `pk__in=<what was posted>`;
a tampered `_selected_action=abc` then fails as a server error. Its date
drill-down (`?created_at__year=9999`) and date filters (`?created_at__gte=0001-01-01`)
build dates Python or the database cannot hold, and fail the same way. This site
gives every registered ModelAdmin (ours, Django's groups, django-axes) the checks
below, so a new admin cannot forget them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import BadRequest, FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from caselog.auth import AdminLoginForm
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


# A date's parts as the drill-down sends them: ASCII digits (Python's int() also
# reads Arabic or full-width digits), within these bounds.
_DATE_PARTS = {"year": (dt.MINYEAR + 1, dt.MAXYEAR - 1), "month": (1, 12), "day": (1, 31)}
_DATE_COMPARISONS = {"exact", "gt", "gte", "lt", "lte"}


def check_date_parameter(field: models.Field, lookup: str, value: str) -> None:
    """Raise IncorrectLookupParameters unless `value` is a date `lookup` on `field` can
    use. Years 1 and 9999 are refused too: a day of them can fall outside Python's
    dates once moved to UTC, and a year's drill-down ends on the next year."""
    low_year, high_year = _DATE_PARTS["year"]
    if lookup in _DATE_PARTS:
        low, high = _DATE_PARTS[lookup]
        if not (value.isascii() and value.isdigit() and low <= int(value) <= high):
            raise IncorrectLookupParameters(f"Not a {lookup}: {value!r}")
    elif lookup in _DATE_COMPARISONS and value:
        try:
            parsed = field.to_python(value)
        except ValidationError as error:
            raise IncorrectLookupParameters(error) from error
        if parsed is not None and not low_year <= parsed.year <= high_year:
            raise IncorrectLookupParameters(f"Date out of range: {value!r}")


class CheckedChangeList(ChangeList):
    """Every date filter of the query string is checked before Django builds dates of
    it: a bad one is refused as any bad filter (the list's "?e=1" page)."""

    def get_filters(self, request: HttpRequest) -> Any:
        for key, values in self.get_filters_params().items():
            field, lookup = _date_field_and_lookup(self.model, key)
            if field is not None:
                for value in values:
                    check_date_parameter(field, lookup, value)
        return super().get_filters(request)


def _date_field_and_lookup(model: Any, key: str) -> tuple[models.Field | None, str]:
    """(the date field `key` filters on, its lookup) — or (None, "") for any other key."""
    parts = key.split(LOOKUP_SEP)
    lookup = parts.pop() if len(parts) > 1 else "exact"
    try:
        field = get_fields_from_path(model, LOOKUP_SEP.join(parts))[-1]
    except (FieldDoesNotExist, NotRelationField):
        return None, ""
    if isinstance(field, models.DateField):  # DateTimeField is one too
        return field, lookup
    return None, ""


class CheckedListMixin:
    """The list page of every admin uses `CheckedChangeList`."""

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return CheckedChangeList


class CaselogAdminSite(admin.AdminSite):
    login_form = AdminLoginForm  # a username over its bound is a form error (caselog.auth)

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
                (SafeActionsMixin, CheckedListMixin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)
