"""Login throttling (django-axes) adapted to this project.

Users log in with their e-mail address, which is case-insensitive here: the
throttle counts `Seller@Example.com` and `seller@example.com` as one user.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
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
