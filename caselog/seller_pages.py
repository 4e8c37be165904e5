"""The seller pages serve the authorized users of seller accounts, and nobody else.

Support agents work in the admin (docs/contract.md, "People"). Every seller page
is wrapped in `seller_page` in the URL map (a test fails on an unwrapped one):

- a staff user who is a member of no seller account is sent to the admin: to the
  admin's page of the case or file the URL names, else to the admin's case list;
- a staff user who is a member of an account acts there as that seller, through
  the same seller door as everyone (`cases.access.cases_visible_to`); a case of an
  account they are not a member of sends them to its admin page instead of a 404.

Sellers who are not staff are unaffected: their 404s stay 404s.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from cases.access import AnyUser, is_support_staff, viewer_for

View = Callable[..., HttpResponseBase]


def admin_url_for(user: AnyUser, kwargs: dict[str, Any]) -> str:
    """The admin page matching a seller URL's arguments, as far as `user` may see it."""
    if is_support_staff(user):
        if "case_id" in kwargs:
            return reverse("admin:cases_case_change", args=[kwargs["case_id"]])
        if "token" in kwargs:
            return reverse("admin:correspondence_attachment_download", args=[kwargs["token"]])
        return reverse("admin:cases_case_changelist")
    return reverse("admin:index")


def seller_page(view: View) -> View:
    """Serve `view` to members of seller accounts; send staff who are not to the admin."""

    @wraps(view)
    def page(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not (user.is_authenticated and user.is_staff):
            return view(request, *args, **kwargs)
        if not viewer_for(request).account_ids:
            return redirect(admin_url_for(user, kwargs))
        try:
            return view(request, *args, **kwargs)
        except Http404:
            # A staff member of one account, on a case or file of another.
            if is_support_staff(user) and ("case_id" in kwargs or "token" in kwargs):
                return redirect(admin_url_for(user, kwargs))
            raise

    page.is_seller_page = True  # type: ignore[attr-defined]
    return page
