from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from cases.access import is_support_staff
from correspondence.models import Attachment, Message, SavedReply
from correspondence.selectors import attachments_for_support
from correspondence.views import attachment_response


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """No pages of its own: the download agents use on the admin case page.

    Files reach agents through the support door (`attachments_for_support`), with
    the same headers as the seller download; the seller URL serves members only.
    """

    def has_module_permission(self, request: HttpRequest) -> bool:
        return False  # nothing to list in the admin index

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_urls(self):
        download = self.admin_site.admin_view(require_GET(self.download_view))
        return [path("<str:token>/download/", download, name="correspondence_attachment_download")]

    def download_view(self, request: HttpRequest, token: str) -> FileResponse:
        if not is_support_staff(request.user):
            raise PermissionDenied
        return attachment_response(attachments_for_support(request.user), token)


class MessageInline(admin.StackedInline):
    """The thread on the admin case page: read-only; agents reply with the reply form."""

    model = Message
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "sent_at",
        "direction",
        "author",
        "recipient_list",
        "subject",
        "body",
        "files",
    )
    ordering = ["-sent_at", "-id"]
    verbose_name = _("message")
    verbose_name_plural = _("messages (newest first)")

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("author").prefetch_related("attachments")
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("recipients"))
    def recipient_list(self, message: Message) -> str:
        return ", ".join(message.recipients)

    @admin.display(description=_("files"))
    def files(self, message: Message) -> str:
        attachments = message.attachments.all()
        if not attachments:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a> ({})</li>',
                (
                    (
                        reverse("admin:correspondence_attachment_download", args=[a.token]),
                        a.original_name,
                        filesizeformat(a.size),
                    )
                    for a in attachments
                ),
            ),
        )


@admin.register(SavedReply)
class SavedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "has_french", "updated_at"]
    search_fields = ["title", "body_en", "body_fr"]
    fields = ["title", "body_en", "body_fr"]

    @admin.display(description=_("in French"), boolean=True)
    def has_french(self, reply: SavedReply) -> bool:
        return bool(reply.body_fr.strip())
