"""The reply form and the contact form: body, optional subject, up to 3 files.

The same rules as the service (`correspondence.rules`), checked here for a
friendly error that keeps the typed text.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from cases.access import Viewer, get_case_for_user
from cases.models import SHORT_DESCRIPTION_MAX, Case, EscalationReason, SellerAccount, User
from cases.validators import clean_short_description, parse_case_id
from correspondence.limits import MAX_ATTACHMENTS
from correspondence.models import HeldFile, Message
from correspondence.rules import (
    ALLOWED_EXTENSIONS,
    MAX_BODY_LENGTH,
    CleanUpload,
    clean_body,
    clean_subject,
    max_attachment_bytes,
    validate_upload_count,
    validate_uploads,
)
from correspondence.services import message_post, uploads_held

RELATED_NOT_FOUND = _("No case with this ID was found among your cases.")


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

    def __init__(self, *args: Any, held_files: Sequence[HeldFile] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.held_files = {held.token: held for held in held_files}
        if held_files:
            # Files carried from the contact form ("Add a reply there"): attached,
            # each with a box to untick to leave it out.
            self.fields["held"] = forms.MultipleChoiceField(
                label=_("Attached"),
                required=False,
                choices=[
                    (held.token, f"{held.original_name} ({filesizeformat(held.size)})")
                    for held in held_files
                ],
                initial=list(self.held_files),
                widget=forms.CheckboxSelectMultiple,
                help_text=_("Untick a file to leave it out."),
            )
            self.order_fields(["subject", "body", "held", "attachments"])
        self.fields["body"].widget.attrs["maxlength"] = MAX_BODY_LENGTH
        self.fields["attachments"].help_text = _(
            "Up to %(max)d files, %(size)s each: %(types)s."
        ) % {
            "max": MAX_ATTACHMENTS,
            "size": filesizeformat(max_attachment_bytes()),
            "types": ", ".join(ALLOWED_EXTENSIONS),
        }
        # For static/js/attachments.js (the list of chosen files, the drop zone),
        # in the request's language.
        self.fields["attachments"].widget.attrs.update(
            {
                "data-attachments": "",
                "data-max": str(MAX_ATTACHMENTS),
                "data-remove": _("Remove"),
                "data-drop-hint": _("You can also drop files here."),
                "data-too-many": _("At most %(max)d files: %(names)s not added.")
                % {"max": MAX_ATTACHMENTS, "names": "%(names)s"},
            }
        )

    def clean_subject(self) -> str:
        return clean_subject(self.cleaned_data.get("subject", ""))

    def clean_body(self) -> str:
        return clean_body(self.cleaned_data.get("body", ""))

    def clean_attachments(self) -> list[CleanUpload]:
        # The content is read here, once, before any transaction; the service
        # takes the verdict (`CleanUpload`) and checks only the cheap rules again.
        return validate_uploads(self.cleaned_data.get("attachments") or [])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # ModelForm.clean() returns cleaned_data
        kept = self.kept_held_files
        if kept and "attachments" in cleaned:
            try:
                validate_upload_count(len(kept) + len(cleaned["attachments"]))
            except ValidationError as error:
                self.add_error("attachments", error)
        return cleaned

    @property
    def kept_held_files(self) -> list[HeldFile]:
        """The held files the form keeps ticked (all of them before it is sent)."""
        if not self.held_files:
            return []
        if not self.is_bound:
            return list(self.held_files.values())
        tokens = getattr(self, "cleaned_data", {}).get("held") or []
        return [self.held_files[token] for token in tokens if token in self.held_files]

    @property
    def client_token(self) -> str | None:
        token = self.cleaned_data.get("submission_id")
        return str(token) if token else None


class SupportReplyForm(ReplyForm):
    """The agents' reply form (admin): the same rules, plus "the seller must act".

    It carries the case's `version` its page showed (and when), so a reply sent
    over another agent's is stopped (`CaseChangedError`); `held` names the files
    kept on the server meanwhile (`uploads_hold`), sent with the files chosen now."""

    needs_action = forms.BooleanField(
        label=_("The seller must act"),
        required=False,
        help_text=_("Moves the case to “Needs your attention” instead of “Answered”."),
    )
    version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    opened_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)
    held = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.race_files: list[tuple[str, Any]] = []

    @property
    def held_names(self) -> list[str]:
        return [file.name for _stored, file in self.race_files]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        try:
            self.race_files = uploads_held(cleaned.get("held") or "")
        except forms.ValidationError as error:
            self.add_error(None, error)
            return cleaned
        if self.race_files and "attachments" in cleaned:
            held = (file for _stored, file in self.race_files)
            try:
                cleaned["attachments"] = validate_uploads([*cleaned["attachments"], *held])
            except forms.ValidationError as error:
                self.add_error("attachments", error)
        return cleaned


class NoteForm(forms.Form):
    """An agents' internal note (admin): a text and up to 3 files, the reply's rules."""

    body = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 5}))
    attachments = _attachments_field()
    submission_id = _submission_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs["maxlength"] = MAX_BODY_LENGTH
        self.fields["body"].help_text = _(
            "Seen by Seller Support agents only, never by the seller."
        )

    def clean_body(self) -> str:
        return clean_body(self.cleaned_data.get("body", ""))

    def clean_attachments(self) -> list[Any]:
        files = self.cleaned_data.get("attachments") or []
        validate_uploads(files)
        return files

    @property
    def client_token(self) -> str | None:
        token = self.cleaned_data.get("submission_id")
        return str(token) if token else None


def reply_post(form: ReplyForm, *, case: Case, author: User, direction: str) -> Message:
    """Send the reply a valid reply form holds, on the seller's case page and the
    admin's reply page alike: `message_post` with its subject, body, files and
    one-time token, and "The seller must act" from the agents' form. Raises what
    `message_post` raises."""
    data = form.cleaned_data
    return message_post(
        case=case,
        author=author,
        direction=direction,
        body=data["body"],
        subject=data["subject"],
        files=data["attachments"],
        needs_action=data.get("needs_action", False),
        client_token=form.client_token,
        expected_version=data.get("version"),
        held_files=form.kept_held_files,
    )


class NotSolvedForm(forms.Form):
    """ "Did this solve your problem?" — No: why (sent to support as the seller's message)."""

    reason = forms.CharField(
        label=_("What is still wrong?"),
        max_length=MAX_BODY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say what is still wrong, so Seller Support can help.")},
    )
    submission_id = _submission_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Its own ids: it shares the case page with the reply form.
        kwargs.setdefault("auto_id", "not_solved_%s")
        super().__init__(*args, **kwargs)

    @property
    def client_token(self) -> str | None:
        token = self.cleaned_data.get("submission_id")
        return str(token) if token else None


class EscalationForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why?"), choices=EscalationReason.choices, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the reason is “Other”."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "escalate_%s")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        if cleaned.get("reason") == EscalationReason.OTHER and not cleaned.get("text", "").strip():
            self.add_error("text", _("Say why you ask for escalation."))
        return cleaned


class NewCaseForm(ReplyForm):
    """The contact form: a subject (it becomes the short description), a message, files."""

    account = forms.ModelChoiceField(
        label=_("Seller account"), queryset=SellerAccount.objects.none(), empty_label=None
    )

    related_case = forms.CharField(
        label=_("Related case ID (optional)"),
        required=False,
        max_length=20,
        help_text=_("The 10-digit ID of an earlier case this one follows up."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    field_order = ["account", "subject", "body", "attachments", "related_case"]

    def __init__(
        self, *args: Any, accounts: QuerySet[SellerAccount], viewer: Viewer, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.fields["subject"].label = _("Subject")
        self.fields["subject"].required = True
        cast(forms.CharField, self.fields["subject"]).max_length = SHORT_DESCRIPTION_MAX
        cast(forms.ModelChoiceField, self.fields["account"]).queryset = accounts
        self._only_account = accounts[0] if len(accounts) == 1 else None
        if self._only_account is not None:
            del self.fields["account"]  # nothing to choose, and nothing to forge

    def clean_subject(self) -> str:
        # The subject becomes the short description: the case's rule (required once
        # control characters are gone, one line, at most 200 characters).
        return clean_short_description(self.cleaned_data.get("subject", ""))

    def clean_related_case(self) -> Case | None:
        """A case the user can see, or the same "not found" for a foreign or missing ID."""
        raw = self.cleaned_data.get("related_case", "")
        if not raw.strip():
            return None
        case_id = parse_case_id(raw)
        if case_id is None:
            raise forms.ValidationError(_("A case ID has 10 digits."), code="invalid")
        try:
            return get_case_for_user(self.viewer, case_id)
        except Http404:
            raise forms.ValidationError(RELATED_NOT_FOUND, code="not_found") from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        if self._only_account is not None:
            cleaned["account"] = self._only_account
        related, account = cleaned.get("related_case"), cleaned.get("account")
        if related is not None and account is not None and related.account_id != account.pk:
            self.add_error(
                "related_case", forms.ValidationError(RELATED_NOT_FOUND, code="not_found")
            )
        return cleaned
