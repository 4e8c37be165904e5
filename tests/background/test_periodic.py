"""Periodic work: each entry once per interval, across schedulers that share the cache."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from background import periodic
from background.periodic import Every
from background.tasks import requeue_stalled_tasks
from tests.background.conftest import run_worker


@pytest.fixture
def one_entry(monkeypatch):
    entries = {"check": Every(timedelta(minutes=5), command="check")}
    monkeypatch.setattr(periodic, "PERIODIC", entries)
    return entries


def test_an_entry_is_enqueued_once_per_interval(db_queue, one_entry):
    from django.core.cache import cache

    cache.clear()
    now = timezone.now().replace(minute=1, second=0)
    assert periodic.enqueue_due(now) == ["check"]
    assert periodic.enqueue_due(now + timedelta(minutes=1)) == []  # same 5-minute slot
    assert periodic.enqueue_due(now + timedelta(minutes=5)) == ["check"]
    assert DBTaskResult.objects.filter(task_path="background.tasks.run_command").count() == 2


def test_a_command_entry_runs_in_the_worker(db_queue, one_entry):
    from django.core.cache import cache

    cache.clear()
    periodic.enqueue_due()
    run_worker()
    (done,) = DBTaskResult.objects.filter(task_path="background.tasks.run_command")
    assert done.status == TaskResultStatus.SUCCESSFUL
    assert done.args_kwargs["args"] == ["check"]


def test_an_entry_names_a_task_or_a_command():
    with pytest.raises(ValueError, match="either a task or a command"):
        Every(timedelta(minutes=1))
    with pytest.raises(ValueError, match="either a task or a command"):
        Every(timedelta(minutes=1), task="a.b", command="c")


def test_every_periodic_entry_points_at_a_task():
    from django.core.management import get_commands
    from django.tasks import Task
    from django.utils.module_loading import import_string

    for entry in periodic.PERIODIC.values():
        if entry.task:
            assert isinstance(import_string(entry.task), Task)
        else:
            assert entry.command in get_commands(), entry.command


def test_the_conversation_timers_are_scheduled():
    commands = {entry.command for entry in periodic.PERIODIC.values()}
    assert "run_case_timers" in commands


def test_the_daily_job_clears_expired_sessions_and_keeps_live_ones(db_queue, settings):
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    live = SessionStore()
    live["who"] = "live"
    live.create()
    gone = SessionStore()
    gone["who"] = "gone"
    gone.create()
    Session.objects.filter(session_key=gone.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    periodic.enqueue(periodic.PERIODIC["clear-sessions"])
    run_worker()

    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


def test_a_task_left_running_by_a_killed_worker_runs_again(db_queue, settings):
    from django.core.mail import EmailMessage

    EmailMessage("Hi", "Body", to=["seller@example.com"]).send()
    task = DBTaskResult.objects.get()
    DBTaskResult.objects.filter(pk=task.pk).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - timedelta(hours=1)
    )
    recent = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="background.tasks.prune_task_results",
        backend_name="default",
        run_after=timezone.now(),
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now(),
    )

    assert requeue_stalled_tasks.call() == 1

    task.refresh_from_db()
    recent.refresh_from_db()
    assert task.status == TaskResultStatus.READY
    assert recent.status == TaskResultStatus.RUNNING  # still within its time
