"""The reply form and the contact form: body, optional subject, up to 3 files.

The same rules as the service (`correspondence.rules`), checked here for a
friendly error that keeps the typed text.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from cases.models import SHORT_DESCRIPTION_MAX, SellerAccount
from correspondence.models import MAX_ATTACHMENTS, Message
from correspondence.rules import ALLOWED_EXTENSIONS, max_attachment_bytes, validate_uploads

MAX_BODY_LENGTH = 20_000


class MultipleFileInput(forms.ClearableFileInput):
    """Django's documented pattern for a file input that accepts several files."""

    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        # Empty files get our own, named error from the rules.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single_file_clean = super().clean
        if isinstance(data, list | tuple):
            return [single_file_clean(item, initial) for item in data if item]
        return [single_file_clean(data, initial)] if data else []


def _attachments_field() -> MultipleFileField:
    accept = ",".join(f".{extension}" for extension in ALLOWED_EXTENSIONS)
    return MultipleFileField(
        label=_("Attachments"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": accept}),
    )


def _submission_field() -> forms.UUIDField:
    # A one-time token: the service refuses a second message with the same one.
    return forms.UUIDField(required=False, initial=uuid.uuid4, widget=forms.HiddenInput)


class ReplyForm(forms.ModelForm):
    attachments = _attachments_field()
    submission_id = _submission_field()

    class Meta:
        model = Message
        fields = ["subject", "body"]
        labels = {"subject": _("Subject (optional)"), "body": _("Message")}
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].max_length = MAX_BODY_LENGTH
        self.fields["body"].widget.attrs["maxlength"] = MAX_BODY_LENGTH
        self.fields["attachments"].help_text = _(
            "Up to %(max)d files, %(size)s each: %(types)s."
        ) % {
            "max": MAX_ATTACHMENTS,
            "size": filesizeformat(max_attachment_bytes()),
            "types": ", ".join(ALLOWED_EXTENSIONS),
        }

    def clean_attachments(self) -> list[Any]:
        files = self.cleaned_data.get("attachments") or []
        validate_uploads(files)
        return files

    @property
    def client_token(self) -> str | None:
        token = self.cleaned_data.get("submission_id")
        return str(token) if token else None


class SupportReplyForm(ReplyForm):
    """The agents' reply form (admin): the same rules, plus "the seller must act"."""

    needs_action = forms.BooleanField(
        label=_("The seller must act"),
        required=False,
        help_text=_("Moves the case to “Needs your attention” instead of “Answered”."),
    )


class NewCaseForm(ReplyForm):
    """The contact form: a subject (it becomes the short description), a message, files."""

    account = forms.ModelChoiceField(
        label=_("Seller account"), queryset=SellerAccount.objects.none(), empty_label=None
    )

    field_order = ["account", "subject", "body", "attachments"]

    def __init__(self, *args: Any, accounts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].label = _("Subject")
        self.fields["subject"].required = True
        self.fields["subject"].max_length = SHORT_DESCRIPTION_MAX
        self.fields["account"].queryset = accounts
        self._only_account = accounts[0] if len(accounts) == 1 else None
        if self._only_account is not None:
            del self.fields["account"]  # nothing to choose, and nothing to forge

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self._only_account is not None:
            cleaned["account"] = self._only_account
        return cleaned
