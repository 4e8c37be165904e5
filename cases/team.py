"""The account page: who the authorized users are, what they own, and the hand-off.

When someone leaves, any authorized user moves every case they own to a colleague
and takes them off every CC list, in one confirmed step
(`cases.services.cases_hand_off`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from cases.access import AuthenticatedHttpRequest, Viewer, accounts_of, cases_visible_to, viewer_for
from cases.models import CaseState, SellerAccount, expired_q
from cases.services import (
    account_member_emails,
    cases_hand_off,
    cases_hand_off_plan,
    member_email_check,
)
from correspondence.notifications import notify_new_owner


def _account_for(viewer: Viewer, account_id: int) -> SellerAccount:
    """The user's own account, or the same 404 as a missing one."""
    account = accounts_of(viewer).filter(pk=account_id).first()
    if account is None:
        raise Http404("No such account.")
    return account


def _open_counts(viewer: Viewer, account: SellerAccount) -> dict[str, int]:
    rows = (
        cases_visible_to(viewer)
        .filter(account=account)
        .exclude(state=CaseState.RESOLVED)
        .values_list("primary_email")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return dict(rows)


def _copied_only(viewer: Viewer, account: SellerAccount, known: set[str]) -> list[str]:
    """Addresses on the CC lists of the account's current cases that are neither an
    authorized user nor an owner: a former colleague who owns nothing but is still
    copied (and so still mailed), or an outside address. One query; no row per case."""
    lists = (
        cases_visible_to(viewer)
        .filter(account=account)
        .exclude(expired_q())
        .exclude(cc_list=[])
        .values_list("cc_list", flat=True)
    )
    return sorted({address for cc_list in lists.iterator() for address in cc_list} - known)


class HandOffForm(forms.Form):
    from_email = forms.ChoiceField(label=gettext_lazy("Hand off the cases of"))
    # An e-mail field, not a choice: a forged address gets the service's clear refusal.
    to_email = forms.EmailField(label=gettext_lazy("To"), widget=forms.Select)

    def __init__(
        self,
        *args: Any,
        members: list[str],
        former: list[str],
        copied: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.members = members
        former_label = _("%(email)s (no longer an authorized user)")
        copied_label = _("%(email)s (only on CC lists)")
        cast(forms.ChoiceField, self.fields["from_email"]).choices = (
            [(e, e) for e in members]
            + [(e, former_label % {"email": e}) for e in former]
            + [(e, copied_label % {"email": e}) for e in copied]
        )
        self.fields["to_email"].widget.choices = [(e, e) for e in members]
        # EmailField gives its widget maxlength, which a <select> must not have (HTML).
        self.fields["to_email"].widget.attrs.pop("maxlength", None)
        self.fields["to_email"].help_text = _("Another authorized user of this account.")

    def clean_to_email(self) -> str:
        return member_email_check(self.cleaned_data["to_email"], members=self.members)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        if cleaned.get("from_email") and cleaned.get("from_email") == cleaned.get("to_email"):
            raise ValidationError(_("Choose two different people."), code="same_person")
        return cleaned


@require_GET
def team_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    accounts = list(accounts_of(viewer_for(request)))
    if len(accounts) == 1:
        return redirect("team", accounts[0].pk)
    return render(request, "cases/team_index.html", {"accounts": accounts})


@require_http_methods(["GET", "POST"])
def team_detail(request: AuthenticatedHttpRequest, account_id: int) -> HttpResponse:
    viewer = viewer_for(request)
    account = _account_for(viewer, account_id)
    members = account_member_emails(account.pk)
    counts = _open_counts(viewer, account)
    former = sorted(email for email in counts if email not in members)
    copied = _copied_only(viewer, account, {*members, *former})
    form = HandOffForm(request.POST or None, members=members, former=former, copied=copied)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "confirm" not in request.POST:
            plan = cases_hand_off_plan(account=account, from_email=data["from_email"])
            return render(
                request,
                "cases/team_confirm.html",
                {"account": account, "form": form, "plan": plan, "to_email": data["to_email"]},
            )
        try:
            summary = cases_hand_off(
                account=account, actor=request.user, on_owner_change=notify_new_owner, **data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, hand_off_message(summary))
            return redirect("team", account.pk)
    people = [(email, counts.get(email, 0), "member") for email in members]
    people += [(email, counts[email], "former") for email in former]
    people += [(email, 0, "copied") for email in copied]
    return render(request, "cases/team.html", {"account": account, "people": people, "form": form})


def hand_off_message(summary: Any) -> str:
    moved = ngettext(
        "%(count)d case handed from %(from)s to %(to)s",
        "%(count)d cases handed from %(from)s to %(to)s",
        summary.moved,
    ) % {"count": summary.moved, "from": summary.from_email, "to": summary.to_email}
    removed = ngettext(
        "%(from)s removed from %(count)d CC list",
        "%(from)s removed from %(count)d CC lists",
        summary.cc_removed,
    ) % {"count": summary.cc_removed, "from": summary.from_email}
    return _("%(moved)s; %(removed)s.") % {"moved": moved, "removed": removed}
