from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cases.access import get_case_for_user
from correspondence.models import Attachment
from correspondence.selectors import attachments_visible_to, thread_of


@require_GET
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = get_case_for_user(request.user, case_id)
    thread = thread_of(case.pk)
    files = [
        (message, attachment) for message in thread for attachment in message.attachments.all()
    ]
    history = case.history.select_related("actor").order_by("changed_at", "id")
    return render(
        request,
        "cases/case_detail.html",
        {"case": case, "thread": thread, "files": files, "history": history},
    )


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
