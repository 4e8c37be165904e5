"""Staff see every e-mail's delivery in the admin, and retry the ones that finally failed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.tasks import TaskResultStatus
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from background.models import DEFERRED, EmailDelivery, EmailDeliveryQuerySet
from background.tasks import deliver_email, enqueue_on_commit


class DeliveryStateFilter(admin.SimpleListFilter):
    title = _("delivery")
    parameter_name = "delivery"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("undelivered", _("Undelivered (retry by hand)")),
            ("waiting", _("Waiting to be sent")),
            ("deferred", _("Failed attempt, retried automatically")),
            ("sent", _("Sent")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        value = self.value()
        if value in ("undelivered", "waiting", "deferred", "sent"):
            return getattr(queryset, value)()
        return queryset


def delivery_state(obj: EmailDelivery) -> str:
    if obj.status == TaskResultStatus.SUCCESSFUL:
        return str(_("Sent"))
    if obj.status == TaskResultStatus.FAILED:
        if obj.exception_class_path == DEFERRED:
            return str(_("Failed attempt, retried automatically"))
        return str(_("Undelivered"))
    return str(_("Waiting to be sent"))


# No "message": what an e-mail says is sealed (background.mail) and never shown, so
# a password-reset link in it cannot be read here by any staff, superusers included.
DETAIL_FIELDS = ("summary", "state", "attempt", "queued", "finished", "details")


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ["queued", "summary", "state", "error", "attempt", "finished"]
    list_filter = [DeliveryStateFilter]
    ordering = ["-enqueued_at"]
    fields = DETAIL_FIELDS
    readonly_fields = DETAIL_FIELDS
    actions = ["retry"]
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("background.retry_emaildelivery")

    # Labels of our own: the task model's come untranslated.
    @admin.display(description=_("queued at"), ordering="enqueued_at")
    def queued(self, obj: EmailDelivery) -> Any:
        return obj.enqueued_at

    @admin.display(description=_("finished at"), ordering="finished_at")
    def finished(self, obj: EmailDelivery) -> Any:
        return obj.finished_at

    @admin.display(description=_("e-mail"))
    def summary(self, obj: EmailDelivery) -> str:
        return obj.summary

    @admin.display(description=_("attempt"))
    def attempt(self, obj: EmailDelivery) -> int:
        return obj.attempt

    @admin.display(description=_("state"))
    def state(self, obj: EmailDelivery) -> str:
        return delivery_state(obj)

    @admin.display(description=_("error"))
    def error(self, obj: EmailDelivery) -> str:
        return obj.error if obj.status == TaskResultStatus.FAILED else ""

    @admin.display(description=_("error details"))
    def details(self, obj: EmailDelivery) -> str:
        return format_html("<pre>{}</pre>", obj.traceback) if obj.traceback else "-"

    @admin.action(description=_("Retry the selected undelivered e-mails"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: EmailDeliveryQuerySet) -> None:
        selected = queryset.count()
        with transaction.atomic():
            # Locked and removed as they are queued again: two staff clicking
            # at once cannot send an e-mail twice.
            failed = list(queryset.undelivered().select_for_update())
            for delivery in failed:
                enqueue_on_commit(deliver_email, delivery.payload)
            EmailDelivery.objects.filter(pk__in=[d.pk for d in failed]).delete()
        if failed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d e-mail queued again.", "%(count)d e-mails queued again.", len(failed)
                )
                % {"count": len(failed)},
                messages.SUCCESS,
            )
        if selected > len(failed):
            self.message_user(
                request,
                _("Only undelivered e-mails can be retried; the others were left alone."),
                messages.WARNING,
            )
