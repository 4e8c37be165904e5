"""A case's life along the state table: opened (`case_create`) and moved
(`case_transition`, the only code that changes a state)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import (
    SUPPORT_SIDE_EVENTS,
    TRANSITIONS,
    WAITING_ON_SELLER,
    Case,
    CaseEvent,
    CaseHistory,
    CaseState,
    SellerAccount,
    SupportTeam,
    Turn,
    User,
    new_case_id,
)
from cases.notices import case_notify
from cases.search import case_search_index_new
from cases.selectors import account_member_emails
from cases.services.locked import CaseStateError, _record, _save_locked, member_email_check
from cases.validators import clean_short_description, parse_cc_list


def case_create(
    *,
    account: SellerAccount,
    opened_by: User,
    short_description: str,
    cc_list: list[str] | None = None,
    related_case: Case | None = None,
) -> Case:
    """Open a case for `opened_by`, who becomes its owner. Call inside a transaction.

    `related_case` (a case this one follows up) must belong to the same account.
    """
    short_description = clean_short_description(short_description)
    owner = member_email_check(opened_by.email, members=account_member_emails(account.pk))
    if related_case is not None and related_case.account_id != account.pk:
        raise ValidationError(_("No case with this ID was found."), code="related_not_found")
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
                    waiting_since=now,
                    state=TRANSITIONS[CaseEvent.SELLER_OPENED].target,
                    primary_email=owner,
                    cc_list=cc,
                    short_description=short_description,
                    opened_by=opened_by,
                    related_case=related_case,
                )
            break
        except IntegrityError:  # a random id collided; draw another
            continue
    else:  # pragma: no cover - ten collisions in 9e9 ids
        raise RuntimeError("could not allocate a case ID")
    _record(case=case, actor=opened_by, field=CaseHistory.Field.STATE, old="", new=case.state)
    case_search_index_new(case=case)
    return case


def _clock_end(now: datetime) -> datetime:
    return now + timedelta(days=settings.CASELOG_AUTO_RESOLVE_AFTER_DAYS)


def case_transition(
    *,
    case: Case,
    event: str,
    actor: User | None,
    team: SupportTeam | None = None,
    note: str = "",
    message_id: int | None = None,
) -> Case:
    """Move `case` along the state table, record it, and queue its e-mail (`case_notify`,
    in this transaction; `message_id`: the message that made the move, quoted in it).

    Also keeps the conversation's bookkeeping, which follows from the move: since
    when the seller waits (support's turn), the automatic-resolution clock (a
    support answer starts it; any other state stops it), "answer not accepted",
    and when support last acted (the log's "Updated" mark).
    Expired cases are read-only for sellers and closed to every move but reopening.
    """
    event = CaseEvent(event)
    transition = TRANSITIONS[event]
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
                    "action": event.label,
                },
            )
        old_state = case.state
        old_turn = CaseState(old_state).turn
        now = timezone.now()
        case.state = transition.target_from(old_state)
        new_turn = case.turn
        case.last_activity_at = now
        case.resolved_at = now if case.is_closed else None
        if new_turn != Turn.SUPPORT:
            case.waiting_since = None
        elif old_turn != Turn.SUPPORT or case.waiting_since is None:
            case.waiting_since = now
        if event in {CaseEvent.SUPPORT_ANSWERED, CaseEvent.SUPPORT_NEEDS_ACTION}:
            case.auto_resolve_at, case.reminder_sent_at = _clock_end(now), None
            case.answer_not_accepted = False
        elif case.state not in WAITING_ON_SELLER:
            case.auto_resolve_at = case.reminder_sent_at = None
        if event == CaseEvent.SELLER_NOT_SOLVED:
            case.answer_not_accepted = True
        elif case.is_closed:
            case.answer_not_accepted = False
        if event in SUPPORT_SIDE_EVENTS:
            case.support_activity_at = now
        fields = [
            "state",
            "last_activity_at",
            "resolved_at",
            "waiting_since",
            "auto_resolve_at",
            "reminder_sent_at",
            "answer_not_accepted",
            "support_activity_at",
        ]
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
        _save_locked(case, fields)
        if old_state != case.state:
            _record(
                case=case,
                actor=actor,
                field=CaseHistory.Field.STATE,
                old=old_state,
                new=case.state,
                note=note or _event_note(event),
            )
        case_notify(event=event, cases=[case], message_id=message_id)
    return case


def _event_note(event: CaseEvent) -> str:
    """The history says who ended a case and why it went back to support."""
    if event in {CaseEvent.SELLER_RESOLVED, CaseEvent.AUTO_RESOLVED, CaseEvent.SELLER_NOT_SOLVED}:
        return str(event.label)
    return ""
