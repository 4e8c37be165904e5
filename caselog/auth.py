"""Login throttling (django-axes) adapted to this project.

Users log in with their e-mail address, which is case-insensitive here: the
throttle counts `Seller@Example.com` and `seller@example.com` as one user.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def throttle_username(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """The name failures are counted against: the e-mail as typed, lower-cased."""
    return str((credentials or {}).get("username") or "").strip().lower()


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses logins from a locked-out user+IP; authenticates nobody by itself.

    A web login always carries its request (Django's LoginView passes it). Code
    that calls `authenticate()` without one (a shell, the test client's
    `login()`) is not a login attempt from a client that could be throttled, so
    this backend steps aside instead of raising.
    """

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The page a locked-out login gets: why, and for how long (429 Too Many Requests)."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "registration/locked_out.html", context, status=429)


class BoundedUsernameMixin:
    """Django's AuthenticationForm sets its username's `max_length` after building the
    field, so no validator checks it: a 256-character username reached the
    throttle's table (varchar 255: a 500 on PostgreSQL), a 100,000-character one the
    user lookup (a LIKE too complex: a 500 on SQLite). Here the bound is checked,
    so a longer username is a form error before `authenticate()` and django-axes
    see it."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        limit = getattr(field, "max_length", None) or 254  # set by Django's __init__
        field.validators.append(MaxLengthValidator(limit))


class LoginForm(BoundedUsernameMixin, AuthenticationForm):
    """The site's login form (registration/login.html)."""


class AdminLoginForm(BoundedUsernameMixin, AdminAuthenticationForm):
    """The admin's login form."""
