"""A request body over the limits gets a clear message, not a bare 400 or a reset;
a signed-in user's pages are never cached (`PrivatePagesMiddleware`); times in the
user's zone (`UserTimeZoneMiddleware`).

Django raises `RequestDataTooBig` (form fields over DATA_UPLOAD_MAX_MEMORY_SIZE),
`TooManyFilesSent`, `TooManyFieldsSent` or `MultiPartParserError` (a part's headers
over 1 KB: a long file name) when the body is parsed; each gets its own reason (too
much text, too many files, too many fields, a file name too long), not a generic
"too large" or a bare 400. This middleware parses POST bodies first, and also refuses a body whose
declared length cannot fit the attachment rules, before reading it. In both
cases it reads and discards the rest of the body (up to a bound) so the client,
still sending, receives the answer instead of a dropped connection; then it
sends the user back to the form with the reason, or shows the error page.

A NUL character, which PostgreSQL refuses in text, is refused the same way: in
the address or headers by `NullCharacterMiddleware`, in a posted field here.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from correspondence.limits import MAX_ATTACHMENTS, MAX_BODY_LENGTH
from correspondence.rules import MAX_NAME_LENGTH, max_attachment_bytes

logger = logging.getLogger(__name__)

_CHUNK = 64 * 1024
# Form pages a seller or an agent posts files from: where to send them back.
_BACK_TO = {
    "cases:reply": "cases:detail",
    "cases:new": "cases:new",
    "cases:edit": "cases:edit",
    "admin:cases_case_reply": "admin:cases_case_reply",
}


def max_request_bytes() -> int:
    """The largest body a valid form can need: MAX_ATTACHMENTS files at the size limit,
    plus the fields (`correspondence.limits`, which the settings' limits follow)."""
    return (
        MAX_ATTACHMENTS * max_attachment_bytes()
        + (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)
        + 1024 * 1024  # multipart boundaries and headers
    )


def _declared_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def _discard_body(request: HttpRequest, limit: int) -> None:
    """Read what the client is still sending, so it gets to read our answer."""
    # WSGIRequest's own bounded stream: it knows how much of the body is left.
    stream = getattr(request, "_stream", None)
    remaining = min(_declared_length(request), limit)
    try:
        while stream is not None and remaining > 0:
            chunk = stream.read(min(_CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
    except OSError:  # the client went away: nothing left to answer
        pass


def _reason(error: Exception | None) -> str:
    """What was actually wrong with the body, in the user's words."""
    if isinstance(error, TooManyFilesSent):
        return ngettext(
            "You sent more files than a message can carry, so nothing was saved. "
            "Attach at most %(max)d file.",
            "You sent more files than a message can carry, so nothing was saved. "
            "Attach at most %(max)d files.",
            MAX_ATTACHMENTS,
        ) % {"max": MAX_ATTACHMENTS}
    if isinstance(error, TooManyFieldsSent):
        return _(
            "The form sent more fields than this site accepts, so nothing was saved. "
            "Reload the page and fill in the form again."
        )
    if isinstance(error, MultiPartParserError):
        # Django refuses a part whose headers pass 1 KB: in a form, a file name of
        # some hundreds of characters (fewer in a script of several bytes each).
        return _(
            "The form could not be read, so nothing was saved: a file name is too "
            "long (or the form was damaged on the way). File names may be at most "
            "%(max)d characters; rename the file and attach it again."
        ) % {"max": MAX_NAME_LENGTH}
    if isinstance(error, RequestDataTooBig):
        return _(
            "The text you sent is too long, so nothing was saved. A message may be at "
            "most %(max)s characters; attach longer text as a file."
        ) % {"max": number_format(MAX_BODY_LENGTH, force_grouping=True)}
    return _(
        "The files you sent are too large together, so nothing was saved. Each file may "
        "be at most %(size)s, with up to %(max)d files per message. Please try again "
        "with smaller files."
    ) % {"size": filesizeformat(max_attachment_bytes()), "max": MAX_ATTACHMENTS}


def _too_large_response(request: HttpRequest, error: Exception | None = None) -> HttpResponse:
    text = _reason(error)
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    back = _BACK_TO.get(match.view_name) if match is not None else None
    if match is not None and back is not None and request.user.is_authenticated:
        messages.error(request, text)
        return redirect(reverse(back, kwargs=match.kwargs), permanent=False)
    status = (
        400
        if isinstance(error, TooManyFilesSent | TooManyFieldsSent | MultiPartParserError)
        else 413
    )
    return render(request, "400.html", {"reason": text}, status=status)


class RequestTooLargeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            limit = max_request_bytes()
            if _declared_length(request) > limit:
                logger.warning("Refused a %s-byte request body", _declared_length(request))
                _discard_body(request, 2 * limit)
                return _too_large_response(request)
            try:
                request.POST  # noqa: B018 - parse now, while the error can still be answered
            except (
                RequestDataTooBig,
                TooManyFieldsSent,
                TooManyFilesSent,
                MultiPartParserError,
            ) as error:
                logger.warning("Refused a request body: %s", error)
                _discard_body(request, 2 * limit)
                return _too_large_response(request, error)
            if null_character_in_form(request):
                return null_character_response(request, "form")
        return self.get_response(request)


NUL = "\x00"


def _holds_nul(fields: Iterable[tuple[str, list[str]]]) -> bool:
    return any(NUL in key or any(NUL in v for v in values) for key, values in fields)


def null_character_in(request: HttpRequest) -> str | None:
    """Where the address or the headers of `request` hold a NUL character
    ("address", "headers"), or None.

    PostgreSQL refuses NUL in text, so any value that reaches a query (a token in
    the path, an admin filter, a session cookie) would fail there as a server
    error; no page needs one. (Form fields: `null_character_in_form`.)
    """
    if NUL in request.path or _holds_nul(request.GET.lists()):
        return "address"
    if any(NUL in str(value) for key, value in request.META.items() if key.startswith("HTTP_")):
        return "headers"
    return None


def null_character_in_form(request: HttpRequest) -> bool:
    """A NUL in the name or value of a posted field. (Django's parser already takes
    NUL out of uploaded files' names.)"""
    return request.method == "POST" and _holds_nul(request.POST.lists())


def null_character_response(request: HttpRequest, where: str) -> HttpResponse:
    logger.warning("Refused a request with a NUL character in its %s", where)
    reason = _(
        "The address or the form holds a null character, which no field accepts, so "
        "nothing was done. Check the link or what you pasted, and try again."
    )
    return render(request, "400.html", {"reason": reason}, status=400)


class NullCharacterMiddleware:
    """A NUL character in the address or the headers gets a 400 page saying so, before
    the session, the user or any view reads them: placed before the authentication
    middleware (the page then shows no signed-in user). A NUL in a posted field is
    refused by `RequestTooLargeMiddleware`, which parses the body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = null_character_in(request)
        if where is not None:
            return null_character_response(request, where)
        return self.get_response(request)


class PrivatePagesMiddleware:
    """Every answer to a signed-in user is `Cache-Control: private, no-store`.

    Every page for a signed-in user shows their accounts' data (the log, a case,
    the team, their profile, a download), so no shared cache (a proxy) may keep it
    and no browser should store it on disk. One place for all pages, so a new page
    cannot forget it; `Vary: Cookie` alone still lets the browser's cache keep it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Read after the view: a login or logout in this request counts.
        if getattr(getattr(request, "user", None), "is_authenticated", False):
            patch_cache_control(response, private=True, no_store=True)
        return response


class UserTimeZoneMiddleware:
    """Show every time in the zone the user chose on their profile page (blank: the
    site's TIME_ZONE). Templates, the log, the case page and the CSV export all read
    Django's current time zone, so activating it here is enough."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = user_zone(getattr(request, "user", None))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def user_zone(user: object) -> zoneinfo.ZoneInfo | None:
    """The user's chosen zone, or None for the site's (no choice, or a zone the
    system no longer knows)."""
    name = getattr(user, "time_zone", "") if getattr(user, "is_authenticated", False) else ""
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class UserLanguageMiddleware:
    """A signed-in user reads the site in their saved language (`User.language`) on
    every device: the one preference the header's switcher and the profile set, and
    the one their e-mails follow. LocaleMiddleware chose from the cookie or the
    browser before the user was known; this overrides that choice once the user is,
    and keeps the device's cookie in step, so the pages after a logout stay in it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        code = saved_language(getattr(request, "user", None))
        if code:
            translation.activate(code)
            request.LANGUAGE_CODE = code
        response = self.get_response(request)
        # Read again: the request may have changed it (the switcher, the profile).
        code = saved_language(getattr(request, "user", None))
        if code and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != code:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                code,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


def saved_language(user: object) -> str:
    """The signed-in user's saved language, or "" (anonymous, or none saved yet)."""
    if not getattr(user, "is_authenticated", False):
        return ""
    return str(getattr(user, "language", "") or "")
