"""The case page, where `cases` and `correspondence` meet: the thread, the reply
form, the contact form that opens a case, and the access-checked downloads."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.access import (
    AuthenticatedHttpRequest,
    Viewer,
    accounts_of,
    cases_visible_to,
    get_case_for_user,
    viewer_for,
)
from cases.models import (
    NOT_CLOSED,
    SHORT_DESCRIPTION_MAX,
    WAITING_ON_SELLER,
    Case,
    CaseEvent,
    CaseHistory,
)
from cases.search import similar_cases
from cases.selectors import automatic_resolution
from cases.services import CaseStateError, case_mark_seen, case_transition
from cases.services import case_escalate as case_escalate_service
from cases.services import case_keep_open as case_keep_open_service
from cases.validators import parse_case_id
from correspondence.forms import EscalationForm, NewCaseForm, NotSolvedForm, ReplyForm, reply_post
from correspondence.models import Attachment, Message
from correspondence.selectors import (
    NEWEST_SHOWN,
    Thread,
    ThreadItem,
    attachments_visible_to,
    held_files_of,
    thread_of,
)
from correspondence.services import (
    DuplicateSubmissionError,
    case_open,
    held_files_add,
    message_post,
)

logger = logging.getLogger(__name__)
# Nothing was saved (the service cleans up); the page says so and keeps the text.
SAVE_FAILED = _lazy(
    "Your message could not be saved, so nothing was sent. Your text is below: "
    "please try again in a moment."
)


def _latest_support(case: Case, thread: Thread) -> ThreadItem | None:
    """Support's newest message with its files, while the seller is asked to act or
    has an answer: the case page shows it first, above the reply form, with "Did
    this solve your problem?"."""
    if case.is_expired or case.state not in WAITING_ON_SELLER:
        return None
    return next((i for i in reversed(thread.items) if i.message.from_support), None)


def _render_detail(
    request: AuthenticatedHttpRequest,
    case: Case,
    reply_form: ReplyForm | None = None,
    *,
    not_solved_form: NotSolvedForm | None = None,
    escalation_form: EscalationForm | None = None,
) -> HttpResponse:
    # The newest messages and files; `?messages=all` / `?files=all` (plain links) show the rest.
    thread = thread_of(
        case,
        messages=None if request.GET.get("messages") == "all" else NEWEST_SHOWN,
        files=None if request.GET.get("files") == "all" else NEWEST_SHOWN,
    )
    history = list(
        case.history.exclude(field__in=CaseHistory.AGENTS_ONLY)
        .select_related("actor")
        .order_by("changed_at", "id")
    )
    if reply_form is None and not case.is_expired:
        reply_form = ReplyForm(held_files=held_files_of(request.user, case))
    latest = _latest_support(case, thread)
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "thread": thread,
            # Support's message the seller is to act on, under the turn line, with
            # "Did this solve your problem?".
            "latest_support": latest,
            "auto_resolution": automatic_resolution(case, history),
            "not_solved_form": not_solved_form or NotSolvedForm(),
            "escalation_form": escalation_form or EscalationForm(),
            "history": history,
            "reply_form": reply_form,
            "follow_ups": list(
                cases_visible_to(viewer_for(request))
                .filter(related_case_id=case.pk)
                .order_by("created_at", "id")
                .values_list("pk", flat=True)
            ),
        },
    )


@require_GET
def case_detail(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_user(viewer_for(request), case_id)
    case_mark_seen(user=request.user, case=case)
    return _render_detail(request, case)


def _attempt(form: forms.BaseForm, action: Callable[[], Message]) -> Message | None:
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


def _reply_draft(request: AuthenticatedHttpRequest, case: Case) -> HttpResponse:
    """The contact form's "Add a reply there": its subject, message and files, in
    this case's reply form, ready to check and send. The files are held on the
    server (`held_files_add`) until the reply is sent; nothing else is saved."""
    if case.is_expired:
        return redirect(case)  # read-only: no reply form to fill
    held, refused = held_files_add(
        user=request.user, case=case, files=request.FILES.getlist("attachments")
    )
    form = ReplyForm(
        initial={
            "subject": request.POST.get("subject", "")[:SHORT_DESCRIPTION_MAX],
            "body": request.POST.get("body", ""),
        },
        held_files=held,
    )
    messages.info(request, _("Your text is in the reply form below: check it, then send it."))
    if refused:
        messages.warning(
            request,
            _("Not carried over, as they cannot be attached: %(names)s.")
            % {"names": ", ".join(refused)},
        )
    return _render_detail(request, case, form)


def _seller_case(request: AuthenticatedHttpRequest, case_id: int) -> Case:
    """The case, for a member of its account (the seller door): agents act in the
    admin, not here."""
    return get_case_for_user(viewer_for(request), case_id)


@require_http_methods(["GET", "POST"])
def case_resolve(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    """ "My issue is solved" (confirmed on this page) and "Did this solve…?" — Yes."""
    case = _seller_case(request, case_id)
    if request.method == "GET":
        context = {"case": case, "expire_days": settings.CASELOG_EXPIRE_AFTER_DAYS}
        return render(request, "correspondence/case_resolve.html", context)
    try:
        case_transition(
            case=case,
            event=CaseEvent.SELLER_RESOLVED,
            actor=request.user,
        )
    except CaseStateError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The case is resolved. Thank you for telling us."))
    return redirect(case)


@require_POST
def case_not_solved(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    """ "Did this solve your problem?" — No, with the reason, sent as the seller's message."""
    case = _seller_case(request, case_id)
    form = NotSolvedForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, case, not_solved_form=form)
    try:
        message = _attempt(
            form,
            lambda: message_post(
                case=case,
                author=request.user,
                direction=Message.Direction.FROM_SELLER,
                body=form.cleaned_data["reason"],
                not_solved=True,
                client_token=form.client_token,
            ),
        )
    except DuplicateSubmissionError:
        return redirect(case)
    except CaseStateError as error:
        messages.error(request, error.message)
        return redirect(case)
    if message is None:
        return _render_detail(request, case, not_solved_form=form)
    messages.success(
        request,
        _("Seller Support was told the answer did not solve your problem; they will answer here."),
    )
    return redirect(case)


@require_POST
def case_keep_open(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    case = _seller_case(request, case_id)
    try:
        case = case_keep_open_service(case=case, actor=request.user)
    except CaseStateError as error:
        messages.error(request, error.message)
    else:
        when = formats.date_format(timezone.localtime(case.auto_resolve_at), "DATETIME_FORMAT")
        messages.success(
            request,
            _("The case stays open. It will not be resolved before %(when)s.") % {"when": when},
        )
    return redirect(case)


@require_POST
def case_escalate(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    case = _seller_case(request, case_id)
    form = EscalationForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, case, escalation_form=form)
    try:
        case_escalate_service(
            case=case,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            text=form.cleaned_data["text"],
        )
    except CaseStateError as error:
        messages.error(request, error.message)
    except ValidationError as error:
        form.add_error(None, error)
        return _render_detail(request, case, escalation_form=form)
    else:
        messages.success(request, _("Your case is escalated: a support lead has been told."))
    return redirect(case)


@require_POST
def case_reply(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_user(viewer_for(request), case_id)
    if "draft" in request.POST:
        return _reply_draft(request, case)
    form = ReplyForm(request.POST, request.FILES, held_files=held_files_of(request.user, case))
    if not form.is_valid():
        return _render_detail(request, case, form)
    try:
        message = _attempt(
            form,
            lambda: reply_post(
                form, case=case, author=request.user, direction=Message.Direction.FROM_SELLER
            ),
        )
    except DuplicateSubmissionError:
        messages.info(request, _("Your message was already sent; it was not sent twice."))
    except CaseStateError as error:
        messages.error(request, error.message)
    else:
        if message is None:
            return _render_detail(request, case, form)
        # The notice stands above the sent message in the contact history, the
        # page's anchor (`correspondence/_thread.html`): both in view on arrival.
        messages.success(request, _("Your message was sent to Seller Support."), extra_tags="sent")
        return redirect(f"{case.get_absolute_url()}#sent")
    return redirect(case)


def _follow_up(related: str) -> dict[str, str]:
    """A case opened from an expired one (?related=<id>) cites that ID."""
    case_id = parse_case_id(related)
    if case_id is None:
        return {}
    return {
        "subject": _("Follow-up to case %(id)s") % {"id": case_id},
        "related_case": str(case_id),
    }


def _similar_to(viewer: Viewer, subject: str) -> list[Case]:
    """The user's open cases that resemble `subject` (the duplicate guard)."""
    open_cases = cases_visible_to(viewer).filter(state__in=NOT_CLOSED)
    return similar_cases(cases=open_cases, text=subject[:SHORT_DESCRIPTION_MAX])


def _render_new(
    request: AuthenticatedHttpRequest,
    form: NewCaseForm,
    subject: str | None = None,
    dropped_files: list[str] | None = None,
) -> HttpResponse:
    similar = None if subject is None else _similar_to(viewer_for(request), subject)
    context = {
        "form": form,
        "similar": similar,
        "checked": subject is not None,
        "dropped_files": dropped_files,
    }
    return render(request, "correspondence/case_new.html", context)


def _sent_file_names(request: AuthenticatedHttpRequest) -> list[str]:
    return [file.name for file in request.FILES.getlist("attachments") if file.name]


@require_http_methods(["GET", "POST"])
def case_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    accounts = accounts_of(viewer_for(request))
    if not accounts:
        raise PermissionDenied(_("You are not an authorized user of any seller account."))
    if "check" in request.POST:
        # Only a look-up: nothing is validated or saved, and the typed text comes back.
        # A page cannot give files back to a file input: say which ones to attach again
        # (with JavaScript, the check is a look-up beside the form and keeps them).
        form = NewCaseForm(
            accounts=accounts, viewer=viewer_for(request), initial=request.POST.dict()
        )
        subject = request.POST.get("subject", "")
        return _render_new(request, form, subject=subject, dropped_files=_sent_file_names(request))
    form = NewCaseForm(
        request.POST or None,
        request.FILES or None,
        accounts=accounts,
        viewer=viewer_for(request),
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
def case_similar(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The suggestions as an HTML fragment, for the contact form's script."""
    subject = request.GET.get("subject", "")
    context = {"similar": _similar_to(viewer_for(request), subject), "checked": True}
    return render(request, "correspondence/_similar_cases.html", context)


@require_GET
def attachment_download(request: AuthenticatedHttpRequest, token: str) -> FileResponse:
    return attachment_response(attachments_visible_to(viewer_for(request)), token)


def attachment_response(attachments: QuerySet[Attachment], token: str) -> FileResponse:
    """The file `token` among `attachments` (a door's), as a download; 404 otherwise.

    The seller page and the admin both serve files through here.
    """
    try:
        attachment = attachments.get(token=token)
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
