"""The forms of the `cases` app: the case edit form, the profile, the password
reset, the team page's hand-off, and the agents' transfer and clear-escalation
forms (the admin case page, `correspondence/admin.py`).

Plain Forms rather than ModelForms: every write goes through `cases.services`
(history rows, the stale-version check), and a ModelForm would copy the typed
values onto the case instance while validating. The field rules are the ones the
services apply (`cases.validators`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from cases.models import (
    MAX_CC,
    SHORT_DESCRIPTION_MAX,
    Case,
    SupportTeam,
    User,
    available_time_zones,
)
from cases.selectors import account_member_emails, support_agents
from cases.services import member_email_check
from cases.validators import clean_short_description, parse_cc_list


class CaseEditForm(forms.Form):
    primary_email = forms.ChoiceField(label=gettext_lazy("Primary e-mail"))
    cc_list = forms.CharField(
        label=gettext_lazy("CC list"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    short_description = forms.CharField(
        label=gettext_lazy("Short description"),
        widget=forms.TextInput(attrs={"maxlength": SHORT_DESCRIPTION_MAX}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "primary_email": case.primary_email,
                "cc_list": "\n".join(case.cc_list),
                "short_description": case.short_description,
                "version": case.version,
            },
        )
        super().__init__(*args, **kwargs)
        members = self.members = account_member_emails(case.account_id)
        choices = [(email, email) for email in members]
        if case.primary_email not in members:
            # Keep the current owner visible (and not silently replaced by the first
            # option); saving it is refused until a current member is chosen.
            label = _("%(email)s (no longer an authorized user)") % {"email": case.primary_email}
            choices.insert(0, (case.primary_email, label))
        cast(forms.ChoiceField, self.fields["primary_email"]).choices = choices
        self.fields["primary_email"].help_text = _(
            "The case owner: one of the authorized users of this seller account."
        )
        self.fields["cc_list"].help_text = _(
            "Up to %(max)d addresses copied on every notification, one per line or "
            "separated by commas."
        ) % {"max": MAX_CC}
        self.fields["short_description"].help_text = _("1 to %(max)d characters.") % {
            "max": SHORT_DESCRIPTION_MAX
        }

    def clean_primary_email(self) -> str:
        # The current owner stays listed after leaving the account; keeping them is
        # refused here, beside the field, by the rule the service applies again.
        return member_email_check(self.cleaned_data["primary_email"], members=self.members)

    def clean_cc_list(self) -> list[str]:
        return parse_cc_list(self.cleaned_data.get("cc_list", ""))

    def clean_short_description(self) -> str:
        return clean_short_description(self.cleaned_data.get("short_description", ""))

    def refresh_version(self, version: int) -> None:
        """After a stale save: keep what was typed, but let the next save win knowingly."""
        data = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict: request.POST
        data["version"] = str(version)
        self.data = data


def time_zone_choices() -> list[tuple[str, str]]:
    site = settings.TIME_ZONE
    return [("", _("The site's zone (%(zone)s)") % {"zone": site})] + [
        (name, name.replace("_", " ")) for name in sorted(available_time_zones())
    ]


class ProfileForm(forms.Form):
    """The user's language and time zone (`cases.services.user_set_preferences`)."""

    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone"),
        required=False,
        help_text=gettext_lazy(
            "Every time on the site, in e-mails and in the CSV export is shown in this zone."
        ),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"language": user.language or get_language(), "time_zone": user.time_zone},
        )
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = time_zone_choices()
        # static/js/time-zone.js offers the browser's zone when none was chosen yet.
        self.fields["time_zone"].widget.attrs["data-browser-zone"] = (
            "offer" if not user.time_zone else "hint"
        )


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form, its field named as on the login page ("E-mail address")."""

    email = forms.EmailField(
        label=gettext_lazy("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


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


class TransferForm(forms.Form):
    team = forms.ModelChoiceField(
        label=gettext_lazy("Transfer to team"), queryset=SupportTeam.objects.all(), empty_label=None
    )
    note = forms.CharField(
        label=gettext_lazy("Note (shown in the case history)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ClearEscalationForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("What was done (shown in the case history)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AssignForm(forms.Form):
    """ "Assign to…": an agent of Seller Support (`support_agents`)."""

    assignee = forms.ModelChoiceField(
        label=gettext_lazy("Assign to"), queryset=User.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["assignee"])
        field.queryset = support_agents()
