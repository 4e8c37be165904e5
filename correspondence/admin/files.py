"""The attachment download agents use on the admin case page."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest
from django.urls import path
from django.views.decorators.http import require_GET

from cases.access import is_support_staff
from correspondence.selectors import attachments_for_support
from correspondence.views import attachment_response


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
