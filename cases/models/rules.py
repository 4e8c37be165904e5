"""The rules about cases as query conditions, one definition each (the log, the
export, the admin and the counts use them; `Case` has the same rules in Python)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from cases.models.people import DEFAULT_RESPONSE_TARGET_HOURS, SupportTeam, canonical_email
from cases.models.states import CLOSED, NOT_CLOSED, Turn, states_of_turn


def expiry_cutoff(now: datetime | None = None) -> datetime:
    """Cases resolved before this moment are expired (read-only records)."""
    return (now or timezone.now()) - timedelta(days=settings.CASELOG_EXPIRE_AFTER_DAYS)


def expired_q(now: datetime | None = None) -> Q:
    """Expired: resolved more than `CASELOG_EXPIRE_AFTER_DAYS` ago (`Case.is_expired_at`)."""
    return Q(state__in=CLOSED, resolved_at__lt=expiry_cutoff(now))


def _turn_q(turn: Turn) -> Q:
    """The states in which it is `turn`'s move (StateFacts.turn); one state as `=`,
    as the indexes' plans were measured with."""
    states = [state.value for state in states_of_turn(turn)]
    return Q(state=states[0]) if len(states) == 1 else Q(state__in=states)


def needs_attention_q() -> Q:
    """Needs the seller's attention: it is the seller's turn (`Case.needs_attention`)."""
    return _turn_q(Turn.SELLER)


def owned_by_q(email: str) -> Q:
    """The user's own cases ("mine"): their e-mail is the primary one (`Case.is_owned_by`)."""
    return Q(primary_email=canonical_email(email))


def copied_q(email: str) -> Q:
    """Cases whose CC list holds `email` (`Case.copies`).

    Addresses are stored canonical (`canonical_email`), so this is an exact match of
    one list element. PostgreSQL: jsonb containment. SQLite has none, so the JSON
    text is searched for the address as a quoted JSON string (so "ann@x.de" does
    not match "joann@x.de"); SQLite keeps JSON ASCII-escaped ("m\\u00fcller.de")
    where older rows may hold it as typed: both spellings are looked for, so an
    address with any letter is found (SQLite's LIKE folds ASCII letters only,
    which is why the comparison is of canonical forms, never a case-folding one).
    """
    email = canonical_email(email)
    if connection.vendor == "postgresql":
        return Q(cc_list__contains=[email])
    condition = Q()
    for spelling in {json.dumps(email), json.dumps(email, ensure_ascii=False)}:
        condition |= Q(cc_list__icontains=spelling)
    return condition


def overdue_q(now: datetime | None = None) -> Q:
    """Support's turn, and the seller has waited longer than the case's team target
    (`Case.is_overdue_at`). Reads the teams' targets (one query; teams are few)."""
    now = now or timezone.now()
    waited_too_long = Q(
        support_team__isnull=True,
        waiting_since__lt=now - timedelta(hours=DEFAULT_RESPONSE_TARGET_HOURS),
    )
    for team_id, hours in SupportTeam.objects.values_list("pk", "response_target_hours"):
        waited_too_long |= Q(
            support_team_id=team_id, waiting_since__lt=now - timedelta(hours=hours)
        )
    return _turn_q(Turn.SUPPORT) & Q(waiting_since__isnull=False) & waited_too_long


def not_expired_ranges(now: datetime | None = None) -> list[Q]:
    """The cases `~expired_q(now)` keeps, as disjoint parts that are each one range
    of the index (account, state, resolved_at): every state but resolved; resolved
    since the cutoff; resolved with no date. Counting the parts reads only the
    entries counted; testing "not expired" reads every entry of the account."""
    return [
        Q(state__in=NOT_CLOSED),
        Q(state__in=CLOSED, resolved_at__gte=expiry_cutoff(now)),
        Q(state__in=CLOSED, resolved_at__isnull=True),
    ]
