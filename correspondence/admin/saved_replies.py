"""The saved replies agents start a reply from (the case page picks them:
`workspace.py`)."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from correspondence.models import PLACEHOLDERS, SavedReply


class SavedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "has_french", "updated_at"]
    search_fields = ["title", "body_en", "body_fr"]
    fields = ["title", "body_en", "body_fr"]

    @admin.display(description=_("in French"), boolean=True)
    def has_french(self, reply: SavedReply) -> bool:
        return bool(reply.body_fr.strip())

    def get_form(self, request, obj=None, change=False, **kwargs):
        placeholders = format_html_join(
            ", ", "<code>{{{}}}</code> ({})", ((name, text) for name, text in PLACEHOLDERS.items())
        )
        help_text = format_html(
            "{} {}", _("Filled in for the case the reply is used on:"), placeholders
        )
        kwargs["help_texts"] = {"body_en": help_text, "body_fr": help_text}
        return super().get_form(request, obj, change, **kwargs)
