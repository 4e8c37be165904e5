"""The states of a case, one declaration each (`STATES`), and the moves between them
(`TRANSITIONS`): nothing outside `cases.services` writes `Case.state`;
`case_transition` is the only code that applies the table."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Turn(models.TextChoices):
    """Whose move it is in the conversation, derived from the state."""

    SELLER = "seller", _("Your turn")
    SUPPORT = "support", _("Seller Support's turn")
    NOBODY = "nobody", _("Nobody's turn")


class CaseState(models.TextChoices):
    """The states of a case. Everything else known about a state is its `StateFacts`
    in `STATES` below: one declaration per state (see docs/conversation.md,
    "Adding a state")."""

    OPEN = "open", pgettext_lazy("case state", "Open")
    PENDING_SUPPORT = "pending_support", pgettext_lazy("case state", "Pending support action")
    NEEDS_ATTENTION = "needs_attention", pgettext_lazy("case state", "Needs your attention")
    ANSWERED = "answered", pgettext_lazy("case state", "Answered")
    TRANSFERRED = "transferred", pgettext_lazy("case state", "Transferred")
    REOPENED = "reopened", pgettext_lazy("case state", "Reopened")
    RESOLVED = "resolved", pgettext_lazy("case state", "Resolved")

    @property
    def facts(self) -> StateFacts:
        return STATES[self]

    @property
    def meaning(self) -> str | Promise:
        return STATES[self].meaning

    @property
    def badge(self) -> str:
        return STATES[self].badge

    @property
    def turn(self) -> Turn:
        return STATES[self].turn


@dataclass(frozen=True)
class StateFacts:
    # What the state means to a seller (tooltips and the help page's glossary).
    meaning: str | Promise
    # The badge's colour class, chosen for WCAG AA contrast with its text.
    badge: str
    # The log's `o=state` sorts by this, smallest (most urgent) first, the same in
    # every language. Gaps of 10 leave room: a new state takes a free number, so
    # no stored row changes (the rank is stored in Case.state_rank).
    urgency: int
    # Whose move it is.
    turn: Turn
    # Support spoke last and waits on the seller: the automatic-resolution clock runs.
    support_spoke_last: bool = False
    # The conversation is over (the expiry clock runs; the seller's "Resolved" preset).
    closed: bool = False


STATES: dict[CaseState, StateFacts] = {
    CaseState.NEEDS_ATTENTION: StateFacts(
        meaning=_("Seller Support asks you to act: read their message and reply."),
        badge="text-bg-warning",
        urgency=10,
        turn=Turn.SELLER,
        support_spoke_last=True,
    ),
    CaseState.REOPENED: StateFacts(
        meaning=_("The case was resolved and Seller Support reopened it to investigate."),
        badge="text-bg-dark",
        urgency=20,
        turn=Turn.SUPPORT,
    ),
    CaseState.OPEN: StateFacts(
        meaning=_("You opened the case; Seller Support has not handled it yet."),
        badge="text-bg-primary",
        urgency=30,
        turn=Turn.SUPPORT,
    ),
    CaseState.PENDING_SUPPORT: StateFacts(
        meaning=_("You wrote last; Seller Support must answer."),
        badge="text-bg-info",
        urgency=40,
        turn=Turn.SUPPORT,
    ),
    CaseState.TRANSFERRED: StateFacts(
        meaning=_("The case was moved to another support team."),
        badge="text-bg-secondary",
        urgency=50,
        turn=Turn.SUPPORT,
    ),
    CaseState.ANSWERED: StateFacts(
        meaning=_("Seller Support answered; nothing is required from you."),
        badge="text-bg-success",
        urgency=60,
        turn=Turn.NOBODY,
        support_spoke_last=True,
    ),
    CaseState.RESOLVED: StateFacts(
        meaning=_(
            "The case is closed. You can still reply until it expires; after that, "
            "open a new case that cites its ID."
        ),
        badge="text-bg-light border",
        urgency=70,
        turn=Turn.NOBODY,
        closed=True,
    ),
}

# Derived from STATES, never written by hand.
# Most urgent first: the order of `o=state`.
STATE_URGENCY = tuple(sorted(STATES, key=lambda state: STATES[state].urgency))
# The states on support's turn: the log's "Waiting on support" preset.
WAITING_ON_SUPPORT = tuple(s for s in STATE_URGENCY if STATES[s].turn == Turn.SUPPORT)
# The states in which the automatic-resolution clock runs: support spoke last.
WAITING_ON_SELLER = tuple(s for s in STATE_URGENCY if STATES[s].support_spoke_last)
# The states of a conversation that is still going on.
NOT_CLOSED = tuple(s for s in STATE_URGENCY if not STATES[s].closed)
CLOSED = tuple(s for s in STATE_URGENCY if STATES[s].closed)


def states_of_turn(turn: str) -> list[CaseState]:
    return [state for state in STATE_URGENCY if STATES[state].turn == turn]


class CaseEvent(models.TextChoices):
    SELLER_OPENED = "seller_opened", _("Seller opened the case")
    SELLER_REPLIED = "seller_replied", _("Seller replied")
    SELLER_NOT_SOLVED = "seller_not_solved", _("Seller said the answer did not solve it")
    SELLER_RESOLVED = "seller_resolved", _("Seller resolved the case")
    SUPPORT_ANSWERED = "support_answered", _("Support answered")
    SUPPORT_NEEDS_ACTION = "support_needs_action", _("Support asked the seller to act")
    TRANSFERRED = "transferred", _("Transferred")
    RESOLVED = "resolved", _("Resolved")
    AUTO_RESOLVED = "auto_resolved", _("Resolved automatically")
    REOPENED = "reopened", _("Reopened")


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    # Source states the move leaves as they are (a transfer while the seller must
    # act: the team changes, it stays the seller's turn).
    keeps: frozenset[str] = frozenset()
    # Seller Support (or the system on its behalf) makes this move: it lights the
    # log's "Updated" mark. A seller's own moves do not.
    support_side: bool = False

    def target_from(self, state: str) -> str:
        return state if state in self.keeps else self.target


_ALL = frozenset(CaseState.values)
_NOT_CLOSED = frozenset(NOT_CLOSED)

# The one table of allowed moves. `sources` of SELLER_OPENED is empty: it only
# applies to a case being created. Expired cases are refused before the table
# is consulted (see Case.is_expired).
TRANSITIONS: dict[str, Transition] = {
    CaseEvent.SELLER_OPENED: Transition(frozenset(), CaseState.OPEN),
    CaseEvent.SELLER_REPLIED: Transition(_ALL, CaseState.PENDING_SUPPORT),
    # "Did this solve your problem?" — No: the reason is the seller's message.
    CaseEvent.SELLER_NOT_SOLVED: Transition(
        frozenset(WAITING_ON_SELLER), CaseState.PENDING_SUPPORT
    ),
    # "Did this solve your problem?" — Yes, or "My issue is solved".
    CaseEvent.SELLER_RESOLVED: Transition(_NOT_CLOSED, CaseState.RESOLVED),
    CaseEvent.SUPPORT_ANSWERED: Transition(_NOT_CLOSED, CaseState.ANSWERED, support_side=True),
    CaseEvent.SUPPORT_NEEDS_ACTION: Transition(
        _NOT_CLOSED, CaseState.NEEDS_ATTENTION, support_side=True
    ),
    CaseEvent.TRANSFERRED: Transition(
        _NOT_CLOSED,
        CaseState.TRANSFERRED,
        keeps=frozenset({CaseState.NEEDS_ATTENTION}),
        support_side=True,
    ),
    CaseEvent.RESOLVED: Transition(_NOT_CLOSED, CaseState.RESOLVED, support_side=True),
    # `run_case_timers`: the seller left a support answer unanswered too long.
    CaseEvent.AUTO_RESOLVED: Transition(
        frozenset(WAITING_ON_SELLER), CaseState.RESOLVED, support_side=True
    ),
    CaseEvent.REOPENED: Transition(frozenset(CLOSED), CaseState.REOPENED, support_side=True),
}

# What Seller Support (or the system on its behalf) does: these light the log's
# "Updated" mark.
SUPPORT_SIDE_EVENTS = frozenset(event for event, move in TRANSITIONS.items() if move.support_side)


class EscalationReason(models.TextChoices):
    NO_ANSWER = "no_answer", _("No answer in time")
    NOT_SOLVED = "not_solved", _("The answer did not solve it")
    CONTRADICTORY = "contradictory", _("Answers contradict each other")
    OTHER = "other", _("Other")


# --- The rules about a case, each written once -----------------------------------
# Each is a Q for the database (the log, the export, the admin, the counts) beside
# the Case method that answers it for one case in Python; tests/cases/test_rules.py
# holds the two equal over a matrix of cases, on SQLite and PostgreSQL.
