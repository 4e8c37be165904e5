"""The one helper for the locked write, which every write to a case uses
(`_save_locked`, and `_record` for its history row), and what every write
shares: its errors and who may write (`check_member`) or own a case
(`member_email_check`)."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.utils.translation import gettext as _

from cases.access import AnyUser, is_member
from cases.models import Case, CaseHistory, User
from cases.validators import normalize_email, strip_control_characters


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
