"""Every write to a case goes through a function here.

Services are keyword-only, run in a transaction, lock the row they change and
record each change in the case history. They raise `ValidationError` for a rule
broken by the caller's input and `CaseStateError` for a move the state table
does not allow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import (
    TRANSITIONS,
    Case,
    CaseEvent,
    CaseHistory,
    CaseState,
    Membership,
    SellerAccount,
    SupportTeam,
    new_case_id,
)
from cases.validators import clean_short_description, normalize_email, parse_cc_list


class CaseStateError(Exception):
    """The requested move is not allowed from the case's current state."""

    def __init__(self, case: Case, event: str, message: str) -> None:
        super().__init__(message)
        self.case = case
        self.event = event
        self.message = message


class StaleCaseError(Exception):
    """The case changed since the form was loaded; the save was refused."""


def account_member_emails(account_id: int) -> list[str]:
    return sorted(
        Membership.objects.filter(account_id=account_id).values_list("user__email", flat=True)
    )


def _check_owner(account_id: int, email: str) -> str:
    email = normalize_email(email)
    if email not in account_member_emails(account_id):
        raise ValidationError(
            _("%(email)s is not an authorized user of this seller account."),
            code="not_a_member",
            params={"email": email},
        )
    return email


def _record(
    *, case: Case, actor: Any, field: str, old: str, new: str, note: str = ""
) -> CaseHistory:
    return CaseHistory.objects.create(
        case=case,
        actor=actor if getattr(actor, "pk", None) else None,
        field=field,
        old_value=old,
        new_value=new,
        note=note,
    )


def case_create(
    *,
    account: SellerAccount,
    opened_by: Any,
    short_description: str,
    cc_list: list[str] | None = None,
) -> Case:
    """Open a case for `opened_by`, who becomes its owner. Call inside a transaction."""
    short_description = clean_short_description(short_description)
    owner = _check_owner(account.pk, opened_by.email)
    cc = parse_cc_list(cc_list or [])
    now = timezone.now()
    for _attempt in range(10):
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    id=new_case_id(),
                    account=account,
                    created_at=now,
                    last_activity_at=now,
                    state=TRANSITIONS[CaseEvent.SELLER_OPENED].target,
                    primary_email=owner,
                    cc_list=cc,
                    short_description=short_description,
                )
            break
        except IntegrityError:  # a random id collided; draw another
            continue
    else:  # pragma: no cover - ten collisions in 9e9 ids
        raise RuntimeError("could not allocate a case ID")
    _record(case=case, actor=opened_by, field=CaseHistory.Field.STATE, old="", new=case.state)
    return case


def case_transition(
    *,
    case: Case,
    event: str,
    actor: Any,
    team: SupportTeam | None = None,
    note: str = "",
    on_commit: Callable[[Case], None] | None = None,
) -> Case:
    """Move `case` along the state table, record it, and queue `on_commit` (notifications).

    Expired cases are read-only for sellers and closed to every move but reopening.
    """
    transition = TRANSITIONS[CaseEvent(event)]
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.is_expired and event != CaseEvent.REOPENED:
            raise CaseStateError(
                case,
                event,
                _("Case %(id)s has expired and can no longer change.") % {"id": case.pk},
            )
        if case.state not in transition.sources:
            raise CaseStateError(
                case,
                event,
                _("Case %(id)s is “%(state)s”: “%(action)s” is not possible from that state.")
                % {
                    "id": case.pk,
                    "state": CaseState(case.state).label,
                    "action": CaseEvent(event).label,
                },
            )
        old_state = case.state
        now = timezone.now()
        case.state = transition.target
        case.last_activity_at = now
        case.resolved_at = now if transition.target == CaseState.RESOLVED else None
        fields = ["state", "last_activity_at", "resolved_at", "version"]
        if event == CaseEvent.TRANSFERRED and team is not None and team.pk != case.support_team_id:
            _record(
                case=case,
                actor=actor,
                field=CaseHistory.Field.SUPPORT_TEAM,
                old=str(case.support_team or ""),
                new=str(team),
                note=note,
            )
            case.support_team = team
            fields.append("support_team")
        case.version = F("version") + 1
        case.save(update_fields=fields)
        case.refresh_from_db(fields=["version"])
        if old_state != case.state:
            _record(
                case=case,
                actor=actor,
                field=CaseHistory.Field.STATE,
                old=old_state,
                new=case.state,
                note=note,
            )
        if on_commit is not None:
            transaction.on_commit(lambda: on_commit(case))
    return case


def case_touch(*, case: Case) -> None:
    """Note activity on the case (a message) without changing anything a seller edits."""
    Case.objects.filter(pk=case.pk).update(last_activity_at=timezone.now())


def case_update(
    *,
    case: Case,
    actor: Any,
    expected_version: int,
    primary_email: str,
    cc_list: list[str] | str,
    short_description: str,
) -> list[CaseHistory]:
    """Change owner, CC list and description; refuse a stale form; one history row per change."""
    new_values = {
        CaseHistory.Field.PRIMARY_EMAIL: _check_owner(case.account_id, primary_email),
        CaseHistory.Field.CC_LIST: parse_cc_list(cc_list),
        CaseHistory.Field.SHORT_DESCRIPTION: clean_short_description(short_description),
    }
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.version != expected_version:
            raise StaleCaseError(
                _(
                    "Someone else changed this case while you were editing it. "
                    "Review their changes below and save again."
                )
            )
        if locked.is_expired:
            raise ValidationError(_("This case has expired and can no longer be edited."))
        changes: list[CaseHistory] = []
        for field, new in new_values.items():
            old = getattr(locked, field)
            if old == new:
                continue
            setattr(locked, field, new)
            changes.append(
                _record(
                    case=locked,
                    actor=actor,
                    field=field,
                    old=", ".join(old) if isinstance(old, list) else old,
                    new=", ".join(new) if isinstance(new, list) else new,
                )
            )
        if changes:
            locked.version = F("version") + 1
            locked.save(update_fields=[*new_values.keys(), "version"])
            locked.refresh_from_db(fields=["version"])
    case.__dict__.update({k: getattr(locked, k) for k in [*new_values.keys(), "version"]})
    return changes
