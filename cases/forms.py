"""The forms of the `cases` app: the case edit form, the profile, the password
reset, the team page's hand-off, and the agents' transfer and clear-escalation
forms (the admin case page's actions, `correspondence/admin/actions.py`).

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
from django.utils import timezone, translation
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
from cases.preferences import recipient_preferences
from cases.selectors import account_member_emails, support_agents
from cases.services import member_email_check
from cases.validators import MAX_CC_TEXT_LENGTH, clean_short_description, parse_cc_list


class CaseEditForm(forms.Form):
    primary_email = forms.ChoiceField(label=gettext_lazy("Primary e-mail"))
    cc_list = forms.CharField(
        label=gettext_lazy("CC list"),
        required=False,
        # The browser's bound; the server's is parse_cc_list's, with its own message.
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_CC_TEXT_LENGTH}),
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


class ShownValueInput(forms.HiddenInput):
    """A field's hidden record of the value the form showed (`show_hidden_initial`),
    without the help text's aria-describedby Django copies onto it: ARIA attributes
    have no place on a hidden input."""

    def build_attrs(
        self, base_attrs: dict[str, Any], extra_attrs: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs.pop("aria-describedby", None)
        return attrs


class ProfileForm(forms.Form):
    """The user's language and time zone (`cases.services.user_set_preferences`).

    It shows what is in effect: the language the page is in (the saved one, which
    UserLanguageMiddleware activated) and the saved zone (blank: the site's). The
    browser's zone is only offered beside the list (static/js/time-zone.js)."""

    # show_hidden_initial: the form carries what it showed, so a field counts as
    # changed only when the user changed it on this form, even if another device
    # saved a new value since the page was opened.
    language = forms.ChoiceField(
        label=gettext_lazy("Language"), choices=settings.LANGUAGES, show_hidden_initial=True
    )
    time_zone = forms.ChoiceField(
        label=gettext_lazy("Time zone"),
        required=False,
        show_hidden_initial=True,
        help_text=gettext_lazy(
            "Every time on the site, in e-mails and in the CSV export is shown in this zone."
        ),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"language": get_language(), "time_zone": user.time_zone})
        super().__init__(*args, **kwargs)
        self.user = user
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = time_zone_choices()
        self.fields["time_zone"].widget.attrs["data-browser-zone"] = "hint"
        for field in self.fields.values():
            field.hidden_widget = ShownValueInput

    def changes(self) -> dict[str, str]:
        """The fields the user changed, and no other: saving a new zone must not
        also save a language the page happened to show. The language shown is
        saved too when none was yet, so the site and the e-mails agree from now on."""
        changes = {}
        for name in self.fields:
            field = self[name]
            # What the form showed (its hidden record); a post without it is
            # compared with what the form would show now.
            shown = self.data.get(field.html_initial_name, field.initial)
            if self.cleaned_data[name] != shown or (name == "language" and not self.user.language):
                changes[name] = self.cleaned_data[name]
        return changes


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form, its field named as on the login page ("E-mail address")."""

    email = forms.EmailField(
        label=gettext_lazy("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        """The link goes out in the user's saved language and zone, as every e-mail
        to a user does, whatever the page it was asked from was shown in."""
        language, zone = recipient_preferences(to_email)
        with translation.override(language), timezone.override(zone):
            super().send_mail(
                subject_template_name,
                email_template_name,
                context,
                from_email,
                to_email,
                html_email_template_name=html_email_template_name,
            )


class NewPasswordErrorsUnderIt:
    """Django checks a new password's strength on the confirmation field; the
    person typed the password in the first one, so its errors are shown there."""

    def validate_password_for_user(self, user: Any, password_field_name: str = "") -> None:
        super().validate_password_for_user(user, "new_password1")  # type: ignore[misc]


class SetPasswordForm(NewPasswordErrorsUnderIt, auth_forms.SetPasswordForm):
    """The password reset's "choose a new password" form."""


class PasswordChangeForm(NewPasswordErrorsUnderIt, auth_forms.PasswordChangeForm):
    """The signed-in user's password change form."""


class SelectExcept(forms.Select):
    """A <select> whose options in `disabled_values` are shown but cannot be chosen."""

    disabled_values: frozenset[str] = frozenset()

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        if option["value"] in self.disabled_values:
            option["attrs"]["disabled"] = True
            option["selected"] = False  # the list falls back on "Choose…"
        return option


class HandOffForm(forms.Form):
    from_email = forms.ChoiceField(label=gettext_lazy("Hand off the cases of"))
    # An e-mail field, not a choice: a forged address gets the service's clear refusal.
    to_email = forms.EmailField(label=gettext_lazy("To"), widget=SelectExcept)

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
        # Both lists start on "Choose…", not on the same first person.
        choose = ("", _("Choose…"))
        cast(forms.ChoiceField, self.fields["from_email"]).choices = (
            [choose]
            + [(e, e) for e in members]
            + [(e, former_label % {"email": e}) for e in former]
            + [(e, copied_label % {"email": e}) for e in copied]
        )
        # The "from" person cannot be chosen in "To": disabled there once "from" is
        # sent (the form shown again), at once in the browser as "from" changes
        # (static/js/hand-off.js), and refused by clean() whatever is posted.
        to = cast(SelectExcept, self.fields["to_email"].widget)
        to.choices = [choose] + [(e, e) for e in members]
        if self.is_bound:
            to.disabled_values = frozenset({self.data.get(self.add_prefix("from_email"), "")})
        # EmailField gives its widget maxlength, which a <select> must not have (HTML).
        self.fields["to_email"].widget.attrs.pop("maxlength", None)
        self.fields["to_email"].help_text = _("Another authorized user of this account.")

    def clean_to_email(self) -> str:
        return member_email_check(self.cleaned_data["to_email"], members=self.members)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        if cleaned.get("from_email") and cleaned.get("from_email") == cleaned.get("to_email"):
            self.add_error(
                "to_email",
                ValidationError(_("Choose two different people."), code="same_person"),
            )
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
