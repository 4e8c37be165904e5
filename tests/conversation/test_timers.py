"""`manage.py run_case_timers`: the reminder once, the resolution once, with a moved clock."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from cases.models import CaseHistory, CaseState
from cases.selectors import case_timer_ids
from cases.services import case_claim_reminder, case_keep_open
from correspondence import services
from correspondence.models import Message
from correspondence.services import case_timers_run
from tests.conftest import make_case

DAY = timedelta(days=1)


def answer(case, support_agent):
    services.message_post(
        case=case, author=support_agent, direction=Message.Direction.FROM_SUPPORT, body="Done."
    )
    case.refresh_from_db()
    return case


@pytest.fixture
def answered(account, seller, support_agent):
    return answer(make_case(account, owner=seller), support_agent)


def run(now, capture):
    with capture(execute=True):
        return case_timers_run(now=now)


def test_a_support_answer_starts_the_clock(answered, settings):
    expected = timezone.now() + settings.CASELOG_AUTO_RESOLVE_AFTER_DAYS * DAY
    assert abs(answered.auto_resolve_at - expected) < timedelta(minutes=1)


def test_reminder_once_then_resolution_once(answered, django_capture_on_commit_callbacks):
    start = timezone.now()
    mail.outbox.clear()
    assert run(start + 4 * DAY, django_capture_on_commit_callbacks).reminded == 0  # too early
    first = run(start + 5.5 * DAY, django_capture_on_commit_callbacks)
    second = run(start + 5.6 * DAY, django_capture_on_commit_callbacks)
    assert (first.reminded, second.reminded) == (1, 0)
    assert len(mail.outbox) == 1
    assert "resolved automatically" in mail.outbox[0].body
    assert mail.outbox[0].to == [answered.primary_email]
    done = run(start + 7.1 * DAY, django_capture_on_commit_callbacks)
    again = run(start + 7.2 * DAY, django_capture_on_commit_callbacks)
    assert (done.resolved, again.resolved) == (1, 0)
    answered.refresh_from_db()
    assert answered.state == CaseState.RESOLVED
    entry = CaseHistory.objects.filter(case=answered, field="state").last()
    assert entry.actor is None
    assert entry.note == "Resolved automatically"
    assert len(mail.outbox) == 2


def test_nothing_for_a_case_the_seller_answered(
    answered, seller, django_capture_on_commit_callbacks
):
    services.message_post(
        case=answered, author=seller, direction=Message.Direction.FROM_SELLER, body="Thanks, but…"
    )
    mail.outbox.clear()
    start = timezone.now()
    for days in (5.5, 8, 30):
        result = run(start + days * DAY, django_capture_on_commit_callbacks)
        assert (result.reminded, result.resolved) == (0, 0)
    answered.refresh_from_db()
    assert answered.state == CaseState.PENDING_SUPPORT
    assert mail.outbox == []


def test_nothing_for_a_case_kept_open(answered, seller, django_capture_on_commit_callbacks):
    start = timezone.now()
    type(answered).objects.filter(pk=answered.pk).update(auto_resolve_at=start + DAY / 2)
    case_keep_open(case=answered, actor=seller)  # the clock restarts: 7 days from now
    result = run(start + 3 * DAY, django_capture_on_commit_callbacks)
    assert (result.reminded, result.resolved) == (0, 0)
    answered.refresh_from_db()
    assert answered.state == CaseState.ANSWERED


def test_a_reminder_is_claimed_once(answered):
    now = timezone.now() + 5.5 * DAY
    reminders, _ends = case_timer_ids(now=now)
    assert reminders == [answered.pk]
    # Two runs that both selected the case: only one may send the reminder.
    assert case_claim_reminder(case_id=answered.pk, now=now) is not None
    assert case_claim_reminder(case_id=answered.pk, now=now) is None


def test_the_command_runs(answered, capsys):
    call_command("run_case_timers")
    assert "0 reminded, 0 resolved" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
def test_two_concurrent_runs_do_the_work_once(account, seller, support_agent):
    cases = [answer(make_case(account, owner=seller), support_agent) for _ in range(6)]
    mail.outbox.clear()
    later = timezone.now() + 5.5 * DAY
    results = []

    def one_run(now):
        try:
            results.append(case_timers_run(now=now))
        finally:
            connection.close()

    for now in (later, later + 2 * DAY):
        threads = [threading.Thread(target=one_run, args=(now,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sum(r.reminded for r in results) == len(cases)
    assert sum(r.resolved for r in results) == len(cases)
    assert len(mail.outbox) == 2 * len(cases)  # one reminder, one resolution each
    assert CaseHistory.objects.filter(field="state", new_value="resolved").count() == len(cases)


def test_a_late_job_still_announces_before_resolving(answered, django_capture_on_commit_callbacks):
    """The job did not run for ten days: the seller gets the reminder and a day first."""
    late = timezone.now() + 10 * DAY
    mail.outbox.clear()
    first = run(late, django_capture_on_commit_callbacks)
    assert (first.reminded, first.resolved) == (1, 0)
    answered.refresh_from_db()
    assert answered.state == CaseState.ANSWERED
    assert answered.auto_resolve_at >= late + DAY - timedelta(seconds=1)
    done = run(late + 1.1 * DAY, django_capture_on_commit_callbacks)
    assert done.resolved == 1


def test_without_reminders_the_clock_alone_resolves(
    answered, settings, django_capture_on_commit_callbacks
):
    settings.CASELOG_REMINDER_BEFORE_DAYS = 0
    result = run(timezone.now() + 7.1 * DAY, django_capture_on_commit_callbacks)
    assert (result.reminded, result.resolved) == (0, 1)
