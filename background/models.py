"""E-mails as staff see them in the admin: the `deliver_email` tasks of the database queue."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.tasks import TaskResultStatus
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult

from background.mail import describe

DELIVER_EMAIL = "background.tasks.deliver_email"
UNDELIVERED = "background.tasks.EmailUndelivered"
DEFERRED = "background.tasks.EmailDeferred"


class EmailDeliveryQuerySet(models.QuerySet):
    def undelivered(self) -> EmailDeliveryQuerySet:
        """Final failures: every attempt was refused, a person must decide."""
        return self.filter(status=TaskResultStatus.FAILED).exclude(exception_class_path=DEFERRED)

    def waiting(self) -> EmailDeliveryQuerySet:
        return self.filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING])

    def deferred(self) -> EmailDeliveryQuerySet:
        return self.filter(status=TaskResultStatus.FAILED, exception_class_path=DEFERRED)

    def sent(self) -> EmailDeliveryQuerySet:
        return self.filter(status=TaskResultStatus.SUCCESSFUL)


class EmailDeliveryManager(models.Manager.from_queryset(EmailDeliveryQuerySet)):  # type: ignore[misc]
    def get_queryset(self) -> EmailDeliveryQuerySet:
        return super().get_queryset().filter(task_path=DELIVER_EMAIL)


class EmailDelivery(DBTaskResult):
    """One attempt to deliver one e-mail (a retry is a new row, the same e-mail)."""

    objects: ClassVar[EmailDeliveryManager] = EmailDeliveryManager()

    class Meta:
        proxy = True
        verbose_name = _("e-mail delivery")
        verbose_name_plural = _("e-mail deliveries")
        permissions = [("retry_emaildelivery", _("Can retry an undelivered e-mail"))]

    def __str__(self) -> str:
        return self.summary

    @property
    def payload(self) -> dict[str, Any]:
        return (self.args_kwargs.get("args") or [{}])[0]

    @property
    def attempt(self) -> int:
        args = self.args_kwargs.get("args") or []
        return int(
            self.args_kwargs.get("kwargs", {}).get("attempt", args[1] if len(args) > 1 else 1)
        )

    @property
    def summary(self) -> str:
        return describe(self.payload)

    @property
    def error(self) -> str:
        """What the mail server said: the root exception of the traceback and its message."""
        root = self.traceback.split("The above exception was the direct cause")[0]
        lines = [line for line in root.strip().splitlines() if line.strip()]
        return lines[-1].strip() if lines else ""
