from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from correspondence.models import Message, SavedReply


class MessageInline(admin.StackedInline):
    """The thread on the admin case page: read-only; agents reply with the reply form."""

    model = Message
    extra = 0
    can_delete = False
    fields = ["sent_at", "direction", "author", "recipient_list", "subject", "body", "files"]
    readonly_fields = fields
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
                    (a.get_absolute_url(), a.original_name, filesizeformat(a.size))
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
