"""The agents' queue (#21.6): escalated cases first within support's turn, then the
longest wait, then the rest, from a stored rank every service keeps in step and an
index that serves the order; large actions run as a background job."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cases.models import Case, CaseHistory, CaseState, QueueRank, SupportTeam, new_case_id
from cases.services import case_clear_escalation, case_escalate
from correspondence.admin.case import CaseAdmin
from correspondence.models import BulkJob, Message
from correspondence.services import bulk_job_run, message_post
from tests.conftest import _login, make_case

LIST = "/admin/cases/case/"


@pytest.fixture
def agent_admin(support_agent):
    return _login(support_agent)


def queued(account, seller, state, *, waited_hours=None, escalated=False, name=""):
    case = make_case(account, owner=seller, state=state, short_description=name)
    now = timezone.now()
    case.waiting_since = now - timedelta(hours=waited_hours) if waited_hours else None
    case.escalated_at = now if escalated else None
    case.save()
    return case


def listed_ids(response) -> list[int]:
    import re

    return [
        int(pk) for pk in re.findall(r'href="/admin/cases/case/(\d{10})/change/', response.text)
    ]


def test_escalated_first_within_supports_turn_then_the_longest_wait(agent_admin, account, seller):
    waiting = queued(account, seller, CaseState.PENDING_SUPPORT, waited_hours=5)
    escalated = queued(account, seller, CaseState.OPEN, waited_hours=1, escalated=True)
    answered = queued(account, seller, CaseState.ANSWERED)
    longest = queued(account, seller, CaseState.REOPENED, waited_hours=10)
    # Escalated once, but the seller's turn now: not above support's turn.
    asked = queued(account, seller, CaseState.NEEDS_ATTENTION, escalated=True)
    assert Case.objects.get(pk=escalated.pk).queue_rank == QueueRank.ESCALATED
    assert Case.objects.get(pk=asked.pk).queue_rank == QueueRank.OTHER
    ids = listed_ids(agent_admin.get(LIST))
    # Each row links twice (id and description).
    order = list(dict.fromkeys(ids))
    assert order[:3] == [escalated.pk, longest.pk, waiting.pk]
    assert set(order[3:]) == {answered.pk, asked.pk}


def test_every_service_keeps_the_rank(account, seller, support_agent):
    case = queued(account, seller, CaseState.PENDING_SUPPORT, waited_hours=30)
    Case.objects.filter(pk=case.pk).update(answer_not_accepted=True)

    def rank() -> int:
        return Case.objects.get(pk=case.pk).queue_rank

    assert rank() == QueueRank.SUPPORT
    case_escalate(case=case, actor=seller, reason="not_solved")
    assert rank() == QueueRank.ESCALATED
    message_post(
        case=case, author=support_agent, direction=Message.Direction.FROM_SUPPORT, body="Done."
    )
    assert rank() == QueueRank.OTHER  # answered: nobody's turn
    message_post(case=case, author=seller, direction=Message.Direction.FROM_SELLER, body="No.")
    assert rank() == QueueRank.ESCALATED  # still escalated, support's turn again
    case_clear_escalation(case=case, actor=support_agent, note="Refunded")
    assert rank() == QueueRank.SUPPORT


def _plan(queryset) -> str:
    if connection.vendor == "postgresql":
        # A few rows: PostgreSQL would scan and sort; forbid both to see whether
        # an index serves the order at all.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
        plan = queryset.explain()
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_sort")
        return plan
    return queryset.explain()


@pytest.mark.parametrize(
    ("lookup", "index"),
    [
        ({}, "case_queue"),
        ({"state": CaseState.OPEN}, "case_queue_state"),
        ({"assignee_id": 1}, "case_queue_assignee"),
        ({"assignee__isnull": True}, "case_queue_assignee"),
    ],
)
def test_an_index_serves_the_queue_order(lookup, index, account, seller):
    queued(account, seller, CaseState.OPEN, waited_hours=1)
    page = Case.objects.filter(**lookup).order_by(*CaseAdmin.ordering)[:50]
    plan = _plan(page)
    # PostgreSQL picks among the queue's indexes by its statistics (a table of one
    # row says little); either way, no sort step.
    assert (index if connection.vendor == "sqlite" else "case_queue") in plan, plan
    assert "TEMP B-TREE" not in plan  # SQLite: no sort step
    assert "Sort" not in plan.replace("Sort Key", "")  # PostgreSQL: no sort step


# --- actions on a large selection ------------------------------------------------


@pytest.fixture
def db_queue(settings, transactional_db):
    """The production queue: task rows in this database, run by the worker (which
    closes its connection: no test transaction around it)."""
    from tests.background.conftest import repair_permissions

    repair_permissions()
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


def run_worker() -> None:
    from django.core.management import call_command

    call_command("run_worker", "--batch", "--interval=0", verbosity=0)


def many_cases(account, seller, count: int, state=CaseState.PENDING_SUPPORT) -> list[Case]:
    now = timezone.now()
    return Case.objects.bulk_create(
        [
            Case(
                id=new_case_id(),
                account=account,
                state=state,
                primary_email=seller.email,
                short_description=f"Bulk {n}",
                created_at=now,
                last_activity_at=now,
                waiting_since=now,
            )
            for n in range(count)
        ]
    )


def test_resolving_a_thousand_cases_returns_at_once_and_finishes_in_the_worker(
    db_queue, agent_admin, account, seller, django_assert_max_num_queries
):
    cases = many_cases(account, seller, 1000)
    with django_assert_max_num_queries(40):
        response = agent_admin.post(
            f"{LIST}?state=pending_support",
            {
                "action": "resolve_cases",
                "select_across": "1",
                "index": "0",
                "apply": "1",
                ACTION_CHECKBOX_NAME: [cases[0].pk],
            },
        )
    assert response.status_code == 302
    job = BulkJob.objects.get()
    # The request did not do the work: the job and its task wait for the worker.
    assert (job.total, job.processed, job.status) == (1000, 0, BulkJob.Status.QUEUED)
    assert sorted(job.case_ids) == sorted(c.pk for c in cases)
    assert DBTaskResult.objects.filter(task_path__endswith="run_bulk_job").count() == 1
    assert Case.objects.filter(state=CaseState.RESOLVED).count() == 0
    assert mail.outbox == []
    progress = agent_admin.get(f"{LIST}bulk/{job.pk}/", follow=True)
    assert "Queued" in progress.text
    assert 'http-equiv="refresh"' in progress.text

    run_worker()

    job.refresh_from_db()
    assert (job.status, job.done, job.skipped, job.failed) == (BulkJob.Status.DONE, 1000, 0, 0)
    assert Case.objects.filter(state=CaseState.RESOLVED).count() == 1000
    assert len(mail.outbox) == 1000  # one e-mail per case
    assert CaseHistory.objects.filter(field=CaseHistory.Field.STATE).count() == 1000
    done = agent_admin.get(f"{LIST}bulk/{job.pk}/")
    assert "Finished" in done.text
    assert 'http-equiv="refresh"' not in done.text

    # Run again (a retried task): every case is skipped, nothing changes twice.
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.done, job.skipped, job.failed) == (0, 1000, 0)
    assert len(mail.outbox) == 1000
    assert CaseHistory.objects.filter(field=CaseHistory.Field.STATE).count() == 1000


def test_a_bulk_transfer_skips_cases_already_in_the_team(
    agent_admin, account, seller, support_agent
):
    team = SupportTeam.objects.create(name="Payments")
    cases = many_cases(account, seller, 30)
    agent_admin.post(
        LIST,
        {
            "action": "transfer_cases",
            "apply": "1",
            "team": team.pk,
            "note": "",
            ACTION_CHECKBOX_NAME: [c.pk for c in cases],
        },
    )
    # The immediate backend (tests) ran it on the spot.
    job = BulkJob.objects.get()
    assert (job.done, job.skipped, job.failed) == (30, 0, 0)
    assert Case.objects.filter(support_team=team, state=CaseState.TRANSFERRED).count() == 30
    sent = len(mail.outbox)
    bulk_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.done, job.skipped) == (0, 30)
    assert len(mail.outbox) == sent


def test_a_small_selection_still_runs_at_once(agent_admin, account, seller):
    cases = many_cases(account, seller, 3)
    agent_admin.post(
        LIST,
        {"action": "resolve_cases", "apply": "1", ACTION_CHECKBOX_NAME: [c.pk for c in cases]},
    )
    assert not BulkJob.objects.exists()
    assert Case.objects.filter(state=CaseState.RESOLVED).count() == 3


def test_a_seller_never_sees_a_bulk_job(seller_client, agent_admin, account, seller):
    job = BulkJob.objects.create(event="resolved", total=0)
    assert seller_client.get(f"{LIST}bulk/{job.pk}/").status_code == 302  # admin login
    assert agent_admin.get(f"{LIST}bulk/{job.pk}/").status_code == 200
    assert agent_admin.get(f"{LIST}bulk/{job.pk + 1}/").status_code == 404


def test_the_confirmation_of_a_whole_list_carries_its_filters_not_its_ids(
    agent_admin, account, seller
):
    cases = many_cases(account, seller, 150)
    many_cases(account, seller, 2, state=CaseState.ANSWERED)  # outside the filter
    page = agent_admin.post(
        f"{LIST}?state=pending_support",
        {
            "action": "resolve_cases",
            "select_across": "1",
            "index": "0",
            ACTION_CHECKBOX_NAME: [cases[0].pk],
        },
    )
    assert page.status_code == 200
    assert "Resolve these 150 cases?" in page.text
    assert "in all." in page.text  # 100 listed, then the count
    assert 'name="select_across" value="1"' in page.text
    assert f'name="{ACTION_CHECKBOX_NAME}"' not in page.text
    assert 'action="/admin/cases/case/?state=pending_support"' in page.text
