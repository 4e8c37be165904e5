"""What a seller account's users change: a case's owner, CC list and description
(`case_update`), a hand-off of cases between members, their own preferences and
the mark of when they last saw a case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, CaseHistory, CaseView, SellerAccount, User, validate_time_zone
from cases.notices import NEW_OWNER, case_notify
from cases.search import case_search_description_update, case_search_terms_refresh
from cases.selectors import account_member_emails, cases_hand_off_plan
from cases.services.locked import (
    RepeatedSaveError,
    StaleCaseError,
    _record,
    _save_locked,
    check_member,
    member_email_check,
)
from cases.validators import clean_short_description, normalize_email, parse_cc_list


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
