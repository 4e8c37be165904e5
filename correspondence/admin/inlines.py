"""The case page's thread (newest messages first) and, beside it, the history."""

from django.contrib import admin
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from cases.admin import CaseHistoryInline
from correspondence.models import Message
from correspondence.selectors import NEWEST_SHOWN


class NewestMessagesFormSet(BaseInlineFormSet):
    """The thread's newest messages only (`NEWEST_SHOWN`): rendering every message
    of a long thread took seconds. `message_count` tells the page how many there are."""

    @cached_property
    def _newest(self) -> QuerySet[Message]:
        return super().get_queryset()[:NEWEST_SHOWN]

    def get_queryset(self) -> QuerySet[Message]:
        return self._newest  # one query, however often the formset asks

    @cached_property
    def message_count(self) -> int:
        return super().get_queryset().count()


class MessageInline(admin.StackedInline):
    """The thread on the admin case page: read-only, one compact block a message
    (`_messages.html`); agents reply with the reply form. The newest messages;
    `?messages=all` (a plain link under them) shows every one."""

    model = Message
    template = "admin/cases/case/_messages.html"
    slot = "thread"  # where the case page puts it (change_form.html)
    extra = 0
    can_delete = False
    fields = readonly_fields = ("sent_at", "direction", "author", "subject", "body")
    ordering = ["-sent_at", "-id"]
    verbose_name = _("message")
    verbose_name_plural = _("messages (newest first)")

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("author").prefetch_related("attachments")
        )

    def get_formset(self, request, obj=None, **kwargs):
        if request.GET.get("messages") != "all":
            kwargs["formset"] = NewestMessagesFormSet
        return super().get_formset(request, obj, **kwargs)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class HistoryInline(CaseHistoryInline):
    """The history beside the thread, one line a change, its values in words."""

    template = "admin/cases/case/_history.html"
    slot = "side"
