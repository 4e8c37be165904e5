"""Every write to a case goes through a function here.

Services are keyword-only, run in a transaction, lock the row they change and
record each change in the case history. They raise `ValidationError` for a rule
broken by the caller's input and `CaseStateError` for a move the state table
does not allow.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.access import AnyUser, case_for_system, is_member
from cases.models import (
    SUPPORT_SIDE_EVENTS,
    TRANSITIONS,
    WAITING_ON_SELLER,
    Case,
    CaseEvent,
    CaseHistory,
    CaseState,
    CaseView,
    EscalationReason,
    SellerAccount,
    SupportTeam,
    Turn,
    User,
    new_case_id,
    validate_time_zone,
)
from cases.notices import ESCALATED, NEW_OWNER, REMINDER, case_notify
from cases.search_index import (
    case_search_description_update,
    case_search_index_new,
    case_search_terms_refresh,
)
from cases.selectors import (
    account_member_emails,
    announced_q,
    cases_hand_off_plan,
    support_agents,
)
from cases.validators import (
    clean_short_description,
    normalize_email,
    parse_cc_list,
    strip_control_characters,
)


class CaseStateError(Exception):
    """The requested move is not allowed from the case's current state."""

    def __init__(self, case: Case, event: str, message: str) -> None:
        super().__init__(message)
        self.case = case
        self.event = event
        self.message = message


class StaleCaseError(Exception):
    """The case changed since the form was loaded; the save was refused."""


class RepeatedSaveError(StaleCaseError):
    """The form was sent again (a double click, a resubmit) after its first send had
    saved exactly these values: nothing to refuse, and nothing more to write."""


def check_member(user: AnyUser, account_id: int) -> None:
    """Seller-side writes are for the account's authorized users only (staff included:
    an agent writes through the admin's own services, never as a seller)."""
    if not is_member(user, account_id):
        raise PermissionDenied(_("You are not an authorized user of this seller account."))


def member_email_check(email: str, *, members: Collection[str]) -> str:
    """The rule for who may own a case (or receive a hand-off): an authorized user of
    the account, one of `members` (`account_member_emails`). Returns `email`
    normalised; the forms call it for their message, the services again to decide.
    """
    email = normalize_email(email)
    if email not in members:
        raise ValidationError(
            _("%(email)s is not an authorized user of this seller account."),
            code="not_a_member",
            params={"email": email},
        )
    return email


def _derived_fields(names: list[str]) -> list[str]:
    """The fields of Case computed from any of `names` (their `derived_from`, as
    `UrgencyField` and `QueueRankField` declare it)."""
    return [
        field.name
        for field in Case._meta.concrete_fields
        if set(getattr(field, "derived_from", ())) & set(names)
    ]


def _save_locked(case: Case, fields: Iterable[str]) -> None:
    """The one way a service saves a case it holds locked (`select_for_update`): the
    version is bumped (an edit form read at an older version is then refused), the
    fields derived from those written are written too, and the new version is read
    back."""
    names = [name for name in dict.fromkeys(fields) if name != "version"]
    names += [name for name in _derived_fields(names) if name not in names]
    case.version = F("version") + 1
    case.save(update_fields=[*names, "version"])
    case.refresh_from_db(fields=["version"])


def _record(
    *, case: Case, actor: User | None, field: str, old: str, new: str, note: str = ""
) -> CaseHistory:
    return CaseHistory.objects.create(
        case=case,
        actor=actor if getattr(actor, "pk", None) else None,
        field=field,
        old_value=old,
        new_value=new,
        # Agents' notes (transfer, escalation) follow the rule of what people type.
        note=strip_control_characters(note),
    )


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


def _is_repeat(case: Case, actor: User, new_values: dict[str, Any]) -> bool:
    """True when what is stored is what the form says, and the last edit of these
    fields was this user's: the form's first send saved it."""
    if any(getattr(case, field) != value for field, value in new_values.items()):
        return False
    last_editor = (
        CaseHistory.objects.filter(case=case, field__in=list(new_values))
        .order_by("-changed_at", "-id")
        .values_list("actor_id", flat=True)
        .first()
    )
    return last_editor is not None and last_editor == getattr(actor, "pk", None)


def _event_note(event: CaseEvent) -> str:
    """The history says who ended a case and why it went back to support."""
    if event in {CaseEvent.SELLER_RESOLVED, CaseEvent.AUTO_RESOLVED, CaseEvent.SELLER_NOT_SOLVED}:
        return str(event.label)
    return ""


def case_keep_open(*, case: Case, actor: User) -> Case:
    """ "Keep this case open": restart the automatic-resolution clock (in the history)."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.is_expired or locked.state not in WAITING_ON_SELLER:
            raise CaseStateError(
                locked,
                "keep_open",
                _("Case %(id)s is not waiting for you: there is no clock to restart.")
                % {"id": locked.pk},
            )
        now = timezone.now()
        old = locked.auto_resolve_at
        locked.auto_resolve_at, locked.reminder_sent_at = _clock_end(now), None
        locked.last_activity_at = now
        _save_locked(
            locked,
            [
                "auto_resolve_at",
                "reminder_sent_at",
                "last_activity_at",
            ],
        )
        _record(
            case=locked,
            actor=actor,
            field=CaseHistory.Field.AUTO_RESOLVE,
            old=old.isoformat() if old else "",
            new=locked.auto_resolve_at.isoformat(),
            note=_("Kept open by the seller"),
        )
    return locked


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


# The least time a reminder gives before the automatic resolution (see case_claim_reminder).
MIN_NOTICE = timedelta(days=1)


def case_claim_reminder(*, case_id: int, now: datetime) -> Case | None:
    """Take the reminder of `case_id` for sending, once: a conditional update, so two
    runs of the timers at once cannot both send it; the e-mail is queued with it.
    None when it is not due (any more)."""
    due = Case.objects.filter(
        pk=case_id,
        state__in=WAITING_ON_SELLER,
        reminder_sent_at__isnull=True,
        auto_resolve_at__lte=now + timedelta(days=settings.CASELOG_REMINDER_BEFORE_DAYS),
    )
    # A reminder is an announcement: if the job did not run in time (the clock
    # already ran out or nearly), the seller still gets MIN_NOTICE to answer.
    notice = Greatest(F("auto_resolve_at"), Value(now + MIN_NOTICE))
    with transaction.atomic():
        if not due.update(reminder_sent_at=now, auto_resolve_at=notice):
            return None
        case = case_for_system(case_id)
        if case is not None:
            case_notify(event=REMINDER, cases=[case])
    return case


def case_auto_resolve(*, case_id: int, now: datetime) -> Case | None:
    """Resolve `case_id` if its clock ran out; None when it did not (or another run did it).

    The row is locked and the clock read again under the lock: a seller who kept
    the case open or replied a moment ago wins.
    """
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update()
            .filter(
                announced_q(), pk=case_id, state__in=WAITING_ON_SELLER, auto_resolve_at__lte=now
            )
            .first()
        )
        if locked is None or locked.is_expired:
            return None
        return case_transition(case=locked, event=CaseEvent.AUTO_RESOLVED, actor=None)


def case_update(
    *,
    case: Case,
    actor: User,
    expected_version: int,
    primary_email: str,
    cc_list: list[str] | str,
    short_description: str,
) -> list[CaseHistory]:
    """Change owner, CC list and description; refuse a stale form; one history row per change.

    Only an authorized user of the case's account may (PermissionDenied).
    A new owner is told by e-mail (`case_notify`, in this transaction)."""
    check_member(actor, case.account_id)
    new_values: dict[str, Any] = {
        CaseHistory.Field.PRIMARY_EMAIL: member_email_check(
            primary_email, members=account_member_emails(case.account_id)
        ),
        CaseHistory.Field.CC_LIST: parse_cc_list(cc_list),
        CaseHistory.Field.SHORT_DESCRIPTION: clean_short_description(short_description),
    }
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.version != expected_version:
            if _is_repeat(locked, actor, new_values):
                raise RepeatedSaveError(_("Your changes were saved."))
            raise StaleCaseError(
                _(
                    "Someone else changed this case while you were editing it. "
                    "Compare with what is saved now, then save again."
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
            _save_locked(locked, new_values.keys())
            case_search_description_update(case_id=locked.pk, description=locked.short_description)
        owner_changed = any(c.field == CaseHistory.Field.PRIMARY_EMAIL for c in changes)
        if owner_changed:
            case_notify(event=NEW_OWNER, cases=[locked])
    case.__dict__.update({k: getattr(locked, k) for k in [*new_values.keys(), "version"]})
    return changes


def case_mark_seen(*, user: User, case: Case) -> None:
    """Remember that `user` opened `case` now (the log marks later changes).

    Written only when it changes the mark (`cases.attention.changed_since_seen`):
    the first view, or Seller Support acted since the last one. Opening an
    unchanged case is then a read, and never queues for SQLite's write lock.
    """
    if not getattr(user, "pk", None):
        return
    seen_at = (
        CaseView.objects.filter(user_id=user.pk, case_id=case.pk)
        .values_list("seen_at", flat=True)
        .first()
    )
    if seen_at is not None and (
        case.support_activity_at is None or case.support_activity_at <= seen_at
    ):
        return
    CaseView.objects.bulk_create(
        [CaseView(user_id=user.pk, case_id=case.pk, seen_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["user", "case"],
        update_fields=["seen_at"],
    )


@dataclass(frozen=True)
class HandOffSummary:
    from_email: str
    to_email: str
    moved: int
    cc_removed: int


def cases_hand_off(
    *,
    account: SellerAccount,
    actor: User,
    from_email: str,
    to_email: str,
) -> HandOffSummary:
    """Move every case `from_email` owns to `to_email` and take it off every CC list.

    One transaction; one history row per changed field of each case;
    the new owner gets one e-mail about the moved cases (in this transaction). Refused
    (ValidationError) when `to_email` is not an authorized user of the account, and
    (PermissionDenied) when `actor` is not one.
    """
    check_member(actor, account.pk)
    to_email = member_email_check(to_email, members=account_member_emails(account.pk))
    if normalize_email(from_email) == to_email:
        raise ValidationError(
            _("Choose two different people: the cases already belong to %(email)s."),
            code="same_person",
            params={"email": to_email},
        )
    with transaction.atomic():
        plan = cases_hand_off_plan(account=account, from_email=from_email, lock=True)
        changed: dict[int, Case] = {}
        history: list[CaseHistory] = []
        actor_or_none = actor if getattr(actor, "pk", None) else None

        def record(case: Case, field: str, old: str, new: str) -> None:
            history.append(
                CaseHistory(
                    case=case, actor=actor_or_none, field=field, old_value=old, new_value=new
                )
            )
            changed[case.pk] = case

        for case in plan.owned:
            record(case, CaseHistory.Field.PRIMARY_EMAIL, case.primary_email, to_email)
            case.primary_email = to_email
        for case in plan.copied:
            new_cc = [email for email in case.cc_list if email != plan.from_email]
            record(case, CaseHistory.Field.CC_LIST, ", ".join(case.cc_list), ", ".join(new_cc))
            case.cc_list = new_cc
        if changed:
            Case.objects.bulk_update(list(changed.values()), ["primary_email", "cc_list"])
            Case.objects.filter(pk__in=list(changed)).update(version=F("version") + 1)
            # The owner's e-mail is a search term (the agents search by it).
            case_search_terms_refresh(case_ids=[case.pk for case in plan.owned])
            CaseHistory.objects.bulk_create(history)
        case_notify(event=NEW_OWNER, cases=plan.owned)
    return HandOffSummary(
        from_email=plan.from_email,
        to_email=to_email,
        moved=len(plan.owned),
        cc_removed=len(plan.copied),
    )


def user_set_preferences(
    *, user: User, language: str | None = None, time_zone: str | None = None
) -> list[str]:
    """Keep the user's language (site and e-mails) and time zone, each only when
    given (None: leave it as it is); returns the names of the fields that changed.
    Unknown values are refused, nothing saved."""
    if language is not None and language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Choose a language from the list."), code="invalid_language")
    if time_zone is not None:
        validate_time_zone(time_zone)
    wanted = {"language": language, "time_zone": time_zone}
    changed = [
        name for name, value in wanted.items() if value is not None and getattr(user, name) != value
    ]
    for name in changed:
        setattr(user, name, wanted[name])
    if changed:
        user.save(update_fields=changed)
    return changed
