"""The state table and the one service that applies it."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction

from cases.models import (
    CASE_ID_MAX,
    CASE_ID_MIN,
    STATE_URGENCY,
    STATES,
    TRANSITIONS,
    Case,
    CaseEvent,
    CaseHistory,
    CaseState,
    new_case_id,
)
from cases.services import CaseStateError, case_create, case_transition
from tests.conftest import make_case


def test_case_ids_are_ten_digits_and_not_sequential():
    ids = [new_case_id() for _ in range(200)]
    assert all(CASE_ID_MIN <= i <= CASE_ID_MAX for i in ids)
    assert all(len(str(i)) == 10 for i in ids)
    steps = {b - a for a, b in itertools.pairwise(ids)}
    assert len(steps) > 150  # no fixed stride to guess the next one


def test_case_create_opens_a_case_owned_by_its_author(account, seller):
    case = case_create(account=account, opened_by=seller, short_description="  Refund   missing ")
    assert case.state == CaseState.OPEN
    assert case.primary_email == "seller@example.com"
    assert case.short_description == "Refund missing"
    assert len(str(case.id)) == 10
    assert list(case.history.values_list("field", "new_value")) == [("state", "open")]


def test_case_create_refuses_a_non_member(account, outsider):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        case_create(account=account, opened_by=outsider, short_description="Nope")


EXPECTED = [
    (CaseEvent.SELLER_REPLIED, CaseState.ANSWERED, CaseState.PENDING_SUPPORT),
    (CaseEvent.SELLER_REPLIED, CaseState.RESOLVED, CaseState.PENDING_SUPPORT),
    (CaseEvent.SUPPORT_ANSWERED, CaseState.PENDING_SUPPORT, CaseState.ANSWERED),
    (CaseEvent.SUPPORT_NEEDS_ACTION, CaseState.OPEN, CaseState.NEEDS_ATTENTION),
    (CaseEvent.TRANSFERRED, CaseState.OPEN, CaseState.TRANSFERRED),
    (CaseEvent.RESOLVED, CaseState.ANSWERED, CaseState.RESOLVED),
    (CaseEvent.REOPENED, CaseState.RESOLVED, CaseState.REOPENED),
]


@pytest.mark.parametrize(("event", "source", "target"), EXPECTED)
def test_allowed_moves_change_state_and_write_history(
    account, seller, agent, event, source, target
):
    case = make_case(account, owner=seller, state=source, resolved_days_ago=2)
    updated = case_transition(case=case, event=event, actor=agent, note="why")
    case.refresh_from_db()
    assert case.state == updated.state == target
    entry = case.history.get(field=CaseHistory.Field.STATE)
    assert (entry.old_value, entry.new_value, entry.actor, entry.note) == (
        source,
        target,
        agent,
        "why",
    )
    assert (case.resolved_at is not None) == (target == CaseState.RESOLVED)


@pytest.mark.parametrize(
    ("event", "source"),
    [
        (CaseEvent.REOPENED, CaseState.OPEN),
        (CaseEvent.REOPENED, CaseState.ANSWERED),
        (CaseEvent.RESOLVED, CaseState.RESOLVED),
        (CaseEvent.SUPPORT_ANSWERED, CaseState.RESOLVED),
        (CaseEvent.TRANSFERRED, CaseState.RESOLVED),
    ],
)
def test_refused_moves_raise_and_change_nothing(account, seller, agent, event, source):
    case = make_case(account, owner=seller, state=source, resolved_days_ago=2)
    with pytest.raises(CaseStateError):
        case_transition(case=case, event=event, actor=agent)
    case.refresh_from_db()
    assert case.state == source
    assert not case.history.exists()


def test_an_expired_case_cannot_be_replied_to(account, seller):
    case = make_case(account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=31)
    assert case.is_expired
    with pytest.raises(CaseStateError):
        case_transition(case=case, event=CaseEvent.SELLER_REPLIED, actor=seller)


def test_transfer_records_the_team(account, seller, agent):
    from cases.models import SupportTeam

    team = SupportTeam.objects.create(name="Payments")
    case = make_case(account, owner=seller)
    case_transition(case=case, event=CaseEvent.TRANSFERRED, actor=agent, team=team)
    case.refresh_from_db()
    assert case.support_team == team
    assert case.history.filter(field="support_team", new_value="Payments").exists()


def test_the_moves_email_is_sent_only_after_commit(
    account, seller, agent, django_capture_on_commit_callbacks
):
    """A queue outside this database (here the immediate one) hears after the commit;
    the database queue takes the task row inside it (tests/correspondence/test_crash.py)."""
    from django.core import mail

    case = make_case(account, owner=seller)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case_transition(case=case, event=CaseEvent.RESOLVED, actor=agent)
        assert mail.outbox == []
    assert len(callbacks) == 1
    (sent,) = mail.outbox
    assert sent.to == [seller.email]


def test_every_state_is_reachable_and_the_table_is_the_only_writer():
    targets = {t.target for t in TRANSITIONS.values()}
    assert targets == set(CaseState.values)


def test_a_save_refuses_an_unknown_state_and_writes_nothing(account, seller):
    """No database constraint lists the states (a new state must migrate without
    rebuilding the table): every save derives the urgency from the state and so
    refuses one that STATES does not declare."""
    case = make_case(account, owner=seller)
    case.state = "closed"
    with pytest.raises(ValueError, match="closed"), transaction.atomic():
        case.save()
    case.refresh_from_db()
    assert case.state == CaseState.OPEN


@pytest.mark.parametrize("state", list(CaseState))
def test_the_stored_urgency_follows_every_save_and_bulk_create(account, seller, state):
    case = make_case(account, owner=seller, state=state)
    case.refresh_from_db()
    assert case.state_rank == STATES[state].urgency
    bulk = Case.objects.bulk_create(
        [Case(account=account, primary_email=seller.email, short_description="x", state=state)]
    )
    assert Case.objects.get(pk=bulk[0].pk).state_rank == STATES[state].urgency


def test_each_state_is_declared_once_with_distinct_urgency():
    assert set(STATES) == set(CaseState)
    urgencies = [facts.urgency for facts in STATES.values()]
    assert len(set(urgencies)) == len(urgencies)
    # The order `o=state` promises (docs/contract.md): needs attention first, resolved last.
    assert STATE_URGENCY[0] == CaseState.NEEDS_ATTENTION
    assert STATE_URGENCY[-1] == CaseState.RESOLVED


def test_a_transition_keeps_the_stored_urgency_in_step(account, seller, agent):
    case = make_case(account, owner=seller)
    case_transition(case=case, event=CaseEvent.SUPPORT_NEEDS_ACTION, actor=agent)
    case.refresh_from_db()
    assert case.state == CaseState.NEEDS_ATTENTION
    assert case.state_rank == STATES[CaseState.NEEDS_ATTENTION].urgency
