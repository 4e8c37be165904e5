"""`case_transition` of an agent's move: the move and the seller's e-mail, together."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from cases.models import CaseEvent, CaseHistory, CaseState, SupportTeam
from cases.services import CaseStateError, case_transition
from tests.conftest import make_case


def test_it_moves_the_case_and_mails_the_seller_and_cc_list(
    account, seller, support_agent, django_capture_on_commit_callbacks
):
    case = make_case(account, owner=seller, cc_list=["boss@example.com"])
    with django_capture_on_commit_callbacks(execute=True):
        fresh = case_transition(case=case, event=CaseEvent.RESOLVED, actor=support_agent)
    assert fresh.state == CaseState.RESOLVED
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sorted(sent.to + sent.cc) == ["boss@example.com", "seller@example.com"]
    assert str(case.id) in sent.subject


def test_a_transfer_records_the_team_and_the_note(
    account, seller, support_agent, django_capture_on_commit_callbacks
):
    case = make_case(account, owner=seller)
    team = SupportTeam.objects.create(name="Payments")
    with django_capture_on_commit_callbacks(execute=True):
        case_transition(
            case=case,
            event=CaseEvent.TRANSFERRED,
            actor=support_agent,
            team=team,
            note="Card payments",
        )
    case.refresh_from_db()
    assert case.support_team == team
    assert CaseHistory.objects.filter(
        case=case, field=CaseHistory.Field.SUPPORT_TEAM, note="Card payments"
    ).exists()
    assert len(mail.outbox) == 1


def test_a_refused_move_changes_nothing_and_mails_nobody(
    account, seller, support_agent, django_capture_on_commit_callbacks
):
    case = make_case(account, owner=seller)  # open: "reopen" is not a move from there
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CaseStateError):
        case_transition(case=case, event=CaseEvent.REOPENED, actor=support_agent)
    case.refresh_from_db()
    assert case.state == CaseState.OPEN
    assert mail.outbox == []


def test_with_the_database_queue_the_e_mail_rolls_back_with_the_move(
    settings, account, seller, support_agent
):
    """The e-mail's task row is written in the move's transaction: a move undone by
    the caller's transaction leaves no e-mail behind."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    case = make_case(account, owner=seller)

    queued_inside = []

    def move_then_fail() -> None:
        with transaction.atomic():
            case_transition(case=case, event=CaseEvent.RESOLVED, actor=support_agent)
            queued_inside.append(DBTaskResult.objects.count())
            raise RuntimeError("the caller's transaction fails")

    with pytest.raises(RuntimeError):
        move_then_fail()
    assert queued_inside == [1]
    case.refresh_from_db()
    assert case.state == CaseState.OPEN
    assert DBTaskResult.objects.count() == 0
