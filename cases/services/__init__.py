"""Every write to a case goes through a function here.

Services are keyword-only, run in a transaction, lock the row they change and
record each change in the case history. They raise `ValidationError` for a rule
broken by the caller's input and `CaseStateError` for a move the state table
does not allow.

One module per concern (`locked`: the one helper for the locked write, the errors
and who may write; `lifecycle`: open and move a case; `handling`: escalation and
assignment; `timers`: the automatic-resolution clock; `accounts`: what a seller
account's users change); every public name is also here, so
`from cases.services import case_transition` reads as before.
"""

from cases.services.accounts import (
    HandOffSummary,
    case_mark_seen,
    case_update,
    cases_hand_off,
    user_set_preferences,
)
from cases.services.handling import (
    case_assign,
    case_clear_escalation,
    case_escalate,
    case_take_if_unassigned,
)
from cases.services.lifecycle import case_create, case_transition
from cases.services.locked import (
    CaseStateError,
    RepeatedSaveError,
    StaleCaseError,
    check_member,
    member_email_check,
)
from cases.services.timers import (
    MIN_NOTICE,
    case_auto_resolve,
    case_claim_reminder,
    case_keep_open,
)

__all__ = [
    "MIN_NOTICE",
    "CaseStateError",
    "HandOffSummary",
    "RepeatedSaveError",
    "StaleCaseError",
    "case_assign",
    "case_auto_resolve",
    "case_claim_reminder",
    "case_clear_escalation",
    "case_create",
    "case_escalate",
    "case_keep_open",
    "case_mark_seen",
    "case_take_if_unassigned",
    "case_transition",
    "case_update",
    "cases_hand_off",
    "check_member",
    "member_email_check",
    "user_set_preferences",
]
