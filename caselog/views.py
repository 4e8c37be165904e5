"""Site-wide views that belong to no app."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods
from django.views.i18n import LANGUAGE_QUERY_PARAMETER
from django.views.i18n import set_language as django_set_language


@login_not_required
@require_http_methods(["GET", "POST"])
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switcher. A signed-in user's choice is saved on their account
    (`User.language`): the language of every device they sign in on and of their
    e-mails (caselog.middleware.UserLanguageMiddleware). A visitor's choice is the
    cookie alone, which the login that follows saves."""
    response = django_set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        request.user.remember_language(request.POST.get(LANGUAGE_QUERY_PARAMETER))
    return response
