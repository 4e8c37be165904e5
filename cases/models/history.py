"""What happened to a case: its history and who saw it when."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from cases.models.case import Case
from cases.models.states import CaseState, EscalationReason


class CaseHistory(models.Model):
    class Field(models.TextChoices):
        PRIMARY_EMAIL = "primary_email", _("Primary e-mail")
        CC_LIST = "cc_list", _("CC list")
        SHORT_DESCRIPTION = "short_description", _("Short description")
        STATE = "state", _("State")
        SUPPORT_TEAM = "support_team", _("Support team")
        AUTO_RESOLVE = "auto_resolve_at", _("Automatic resolution")
        ESCALATION = "escalation", _("Escalation")
        ASSIGNEE = "assignee", _("Assignee")

    # The agents' own bookkeeping: not on the seller's page of the case.
    AGENTS_ONLY: ClassVar[frozenset[str]] = frozenset({Field.ASSIGNEE})

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    field = models.CharField(_("field"), max_length=32, choices=Field.choices)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("case history entry")
        verbose_name_plural = _("case history")
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["case", "changed_at"], name="history_case_time")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.field}: {self.old_value} → {self.new_value}"

    def display_value(self, raw: str) -> str:
        if self.field == self.Field.STATE and raw in CaseState.values:
            return str(CaseState(raw).label)
        if self.field == self.Field.ESCALATION and raw in EscalationReason.values:
            return str(EscalationReason(raw).label)
        if self.field == self.Field.ASSIGNEE and not raw:
            return str(_("Unassigned"))
        if self.field == self.Field.AUTO_RESOLVE and raw:
            moment = parse_datetime(raw)
            if moment is not None:
                return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
        return raw

    @property
    def old_display(self) -> str:
        return self.display_value(self.old_value)

    @property
    def new_display(self) -> str:
        return self.display_value(self.new_value)


class CaseView(models.Model):
    """When a user last opened a case page: the log marks cases changed since then."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField(_("seen at"), default=timezone.now)

    class Meta:
        verbose_name = _("case view")
        verbose_name_plural = _("case views")
        constraints = [
            models.UniqueConstraint(fields=["user", "case"], name="caseview_user_case_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} saw {self.case_id} at {self.seen_at}"
