"""Who handles a case, beside its state: the seller's escalation (asked for,
cleared by an agent) and the agent it is assigned to."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, CaseHistory, EscalationReason, User
from cases.notices import ESCALATED, case_notify
from cases.selectors import support_agents
from cases.services.locked import CaseStateError, _record, _save_locked
from cases.validators import strip_control_characters


def case_escalate(
    *,
    case: Case,
    actor: User,
    reason: str,
    text: str = "",
) -> Case:
    """The seller asks for escalation: a flag on the case (one open at a time), in the
    history; the support inbox is told (`case_notify`, in this transaction)."""
    reason = EscalationReason(reason)
    text = strip_control_characters(text).strip()
    if reason == EscalationReason.OTHER and not text:
        raise ValidationError(_("Say why you ask for escalation."), code="required")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.is_escalated:
            raise CaseStateError(
                locked, "escalate", _("This case is already escalated; Seller Support is on it.")
            )
        if not locked.may_escalate:
            raise CaseStateError(
                locked,
                "escalate",
                _(
                    "You can ask for escalation when Seller Support is later than its "
                    "response target, or after telling them an answer did not solve your problem."
                ),
            )
        locked.escalated_at = timezone.now()
        locked.escalation_reason = reason
        locked.escalation_text = text[:2000]
        _save_locked(
            locked,
            [
                "escalated_at",
                "escalation_reason",
                "escalation_text",
            ],
        )
        _record(
            case=locked,
            actor=actor,
            field=CaseHistory.Field.ESCALATION,
            old="",
            new=reason,
            note=locked.escalation_text,
        )
        case_notify(event=ESCALATED, cases=[locked])
    return locked


def case_clear_escalation(*, case: Case, actor: User, note: str) -> Case:
    """An agent clears the case's open escalation, with a note for the history."""
    note = strip_control_characters(note).strip()
    if not note:
        raise ValidationError(
            _("Write a note: what was done about the escalation."), code="required"
        )
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not locked.is_escalated:
            raise CaseStateError(locked, "clear_escalation", _("This case is not escalated."))
        old = locked.escalation_reason
        locked.escalated_at = None
        locked.escalation_reason = ""
        locked.escalation_text = ""
        _save_locked(
            locked,
            [
                "escalated_at",
                "escalation_reason",
                "escalation_text",
            ],
        )
        _record(
            case=locked, actor=actor, field=CaseHistory.Field.ESCALATION, old=old, new="", note=note
        )
    return locked


def case_assign(*, case: Case, actor: User, assignee: User | None) -> Case:
    """Give `case` to `assignee` (an agent: `support_agents()`), or to nobody; in the
    history. Assigning it to whom it already belongs changes nothing."""
    if assignee is not None and not support_agents().filter(pk=assignee.pk).exists():
        raise ValidationError(
            _("%(email)s is not a Seller Support agent."),
            code="not_an_agent",
            params={"email": assignee.email},
        )
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        new_id = assignee.pk if assignee is not None else None
        if locked.assignee_id == new_id:
            return locked
        old = locked.assignee.email if locked.assignee is not None else ""
        locked.assignee = assignee
        _save_locked(
            locked,
            [
                "assignee",
            ],
        )
        _record(
            case=locked,
            actor=actor,
            field=CaseHistory.Field.ASSIGNEE,
            old=old,
            new=assignee.email if assignee is not None else "",
        )
    return locked


def case_take_if_unassigned(*, case: Case, agent: User) -> None:
    """An agent who answers an unassigned case takes it (in the answer's transaction)."""
    if case.assignee_id is None and support_agents().filter(pk=agent.pk).exists():
        case_assign(case=case, actor=agent, assignee=agent)
