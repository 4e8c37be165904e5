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
from django.core.exceptions import BadRequest, ValidationError
from django.http import HttpRequest, HttpResponseBase

from caselog.auth import AdminLoginForm


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
    login_form = AdminLoginForm  # a username over its bound is a form error (caselog.auth)

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, SafeActionsMixin):
            admin_class = type(
                admin_class.__name__,
                (SafeActionsMixin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)
