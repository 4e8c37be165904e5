"""The case page, where `cases` and `correspondence` meet: the thread, the reply
form, the contact form that opens a case, and the access-checked downloads."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.access import account_ids_for, accounts_of, cases_visible_to, get_case_for_user
from cases.models import SHORT_DESCRIPTION_MAX, Case, CaseState
from cases.search import similar_cases
from cases.services import CaseStateError, case_mark_seen
from correspondence.forms import NewCaseForm, ReplyForm
from correspondence.models import Attachment, Message
from correspondence.selectors import attachments_visible_to, thread_of
from correspondence.services import DuplicateSubmissionError, case_open, message_post

logger = logging.getLogger(__name__)
# Nothing was saved (the service cleans up); the page says so and keeps the text.
SAVE_FAILED = _lazy(
    "Your message could not be saved, so nothing was sent. Your text is below: "
    "please try again in a moment."
)


def _render_detail(
    request: HttpRequest, case: Case, reply_form: ReplyForm | None = None
) -> HttpResponse:
    thread = thread_of(case.pk)
    files = [
        (message, attachment) for message in thread for attachment in message.attachments.all()
    ]
    history = case.history.select_related("actor").order_by("changed_at", "id")
    if reply_form is None and not case.is_expired:
        reply_form = ReplyForm()
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "thread": thread,
            "files": files,
            "history": history,
            "reply_form": reply_form,
            "follow_ups": list(
                cases_visible_to(request.user)
                .filter(related_case_id=case.pk)
                .order_by("created_at", "id")
                .values_list("pk", flat=True)
            ),
        },
    )


@require_GET
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_user(request.user, case_id)
    case_mark_seen(user=request.user, case=case)
    return _render_detail(request, case)


def _attempt(form: ReplyForm, action: Callable[[], Message]) -> Message | None:
    """Run a posting service; a refusal or a failed save becomes a form error."""
    try:
        return action()
    except ValidationError as error:
        form.add_error(None, error)
    except (DatabaseError, OSError):
        # The service already removed every file it wrote; nothing was saved.
        logger.exception("Could not save a message")
        form.add_error(None, SAVE_FAILED)
    return None


@require_POST
def case_reply(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_user(request.user, case_id)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_detail(request, case, form)
    try:
        message = _attempt(
            form,
            lambda: message_post(
                case=case,
                author=request.user,
                direction=Message.Direction.FROM_SELLER,
                body=form.cleaned_data["body"],
                subject=form.cleaned_data["subject"],
                files=form.cleaned_data["attachments"],
                client_token=form.client_token,
            ),
        )
    except DuplicateSubmissionError:
        messages.info(request, _("Your message was already sent; it was not sent twice."))
    except CaseStateError as error:
        messages.error(request, error.message)
    else:
        if message is None:
            return _render_detail(request, case, form)
        messages.success(request, _("Your message was sent to Seller Support."))
    return redirect(case)


def _follow_up(related: str) -> dict[str, str]:
    """A case opened from an expired one (?related=<id>) cites that ID."""
    if not re.fullmatch(r"\d{10}", related):
        return {}
    return {"subject": _("Follow-up to case %(id)s") % {"id": related}, "related_case": related}


def _similar_to(user: Any, subject: str) -> list[Case]:
    """The user's open cases that resemble `subject` (the duplicate guard)."""
    open_cases = (
        cases_visible_to(user)
        .filter(account_id__in=account_ids_for(user))
        .exclude(state=CaseState.RESOLVED)
    )
    return similar_cases(cases=open_cases, text=subject[:SHORT_DESCRIPTION_MAX])


def _render_new(
    request: HttpRequest, form: NewCaseForm, subject: str | None = None
) -> HttpResponse:
    similar = None if subject is None else _similar_to(request.user, subject)
    context = {"form": form, "similar": similar, "checked": subject is not None}
    return render(request, "correspondence/case_new.html", context)


@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest) -> HttpResponse:
    accounts = accounts_of(request.user)
    if not accounts:
        raise PermissionDenied(_("You are not an authorized user of any seller account."))
    if "check" in request.POST:
        # Only a look-up: nothing is validated or saved, and the typed text comes back.
        form = NewCaseForm(accounts=accounts, user=request.user, initial=request.POST.dict())
        return _render_new(request, form, subject=request.POST.get("subject", ""))
    form = NewCaseForm(
        request.POST or None,
        request.FILES or None,
        accounts=accounts,
        user=request.user,
        initial=_follow_up(request.GET.get("related", "")),
    )
    if request.method == "POST" and form.is_valid():
        try:
            message = _attempt(
                form,
                lambda: case_open(
                    account=form.cleaned_data["account"],
                    author=request.user,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    files=form.cleaned_data["attachments"],
                    client_token=form.client_token,
                    related_case=form.cleaned_data["related_case"],
                ),
            )
        except DuplicateSubmissionError as duplicate:
            messages.info(request, _("This case was already opened; it was not opened twice."))
            return redirect("cases:detail", duplicate.message.case_id)
        if message is not None:
            text = _("Case %(id)s is open. Seller Support will answer on this page.")
            messages.success(request, text % {"id": message.case_id})
            return redirect("cases:detail", message.case_id)
    return _render_new(request, form)


@require_GET
def case_similar(request: HttpRequest) -> HttpResponse:
    """The suggestions as an HTML fragment, for the contact form's script."""
    subject = request.GET.get("subject", "")
    context = {"similar": _similar_to(request.user, subject), "checked": True}
    return render(request, "correspondence/_similar_cases.html", context)


@require_GET
def attachment_download(request: HttpRequest, token: str) -> FileResponse:
    try:
        attachment = attachments_visible_to(request.user).get(token=token)
    except Attachment.DoesNotExist:
        raise Http404("No such file.") from None
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("No such file.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
