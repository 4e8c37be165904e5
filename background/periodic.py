"""Periodic work: what runs on its own, and how often.

Django's Tasks framework has no schedule and the database backend has no beat,
so the worker (`manage.py run_worker`) carries a small scheduler: every
`TICK` seconds it enqueues each entry below that is due. An entry is enqueued
once per interval across every scheduler that shares the cache (Redis in a
cluster): `cache.add` on a key per time slot is the lock.

To hook in a periodic job, add one line to `PERIODIC`, either a task
(`task="app.tasks.name"`) or a management command (`command="name"`, run by the
`background.tasks.run_command` task). Nothing else: no cron line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.tasks import Task
from django.utils import timezone
from django.utils.module_loading import import_string

from background.tasks import run_command

logger = logging.getLogger(__name__)

TICK = 15  # seconds between two looks at the schedule


@dataclass(frozen=True)
class Every:
    interval: timedelta
    task: str = ""  # dotted path of a @task taking no argument
    command: str = ""  # or the name of a management command

    def __post_init__(self) -> None:
        if bool(self.task) == bool(self.command):
            raise ValueError("An Every entry names either a task or a command")


PERIODIC: dict[str, Every] = {
    "requeue-stalled-tasks": Every(
        timedelta(minutes=5), task="background.tasks.requeue_stalled_tasks"
    ),
    "prune-task-results": Every(timedelta(days=1), task="background.tasks.prune_task_results"),
    "sweep-orphan-files": Every(timedelta(hours=1), task="correspondence.tasks.sweep_orphan_files"),
    # Files "Add a reply there" carried to a reply that was never sent.
    "sweep-held-files": Every(timedelta(hours=1), task="correspondence.tasks.sweep_held_files"),
    # The conversation's reminders and automatic resolution (idempotent).
    "case-timers": Every(timedelta(minutes=5), command="run_case_timers"),
    # The lead's overview figures (correspondence.overview.REFRESH_EVERY).
    "overview": Every(timedelta(minutes=5), task="correspondence.overview.refresh_overview"),
    # Expired sessions are never read again but stay in the table (database-backed
    # engines) until Django's own command removes them.
    "clear-sessions": Every(timedelta(days=1), command="clearsessions"),
}


def enqueue(entry: Every) -> None:
    if entry.task:
        task = import_string(entry.task)
        if not isinstance(task, Task):
            raise TypeError(f"{entry.task} is not a task")
        task.enqueue()
    else:
        run_command.enqueue(entry.command)


def enqueue_due(now: datetime | None = None) -> list[str]:
    """Enqueue every entry whose current time slot has not been claimed yet."""
    now = now or timezone.now()
    started = []
    for name, entry in PERIODIC.items():
        seconds = int(entry.interval.total_seconds())
        slot = int(now.timestamp()) // seconds
        if cache.add(f"caselog:periodic:{name}:{slot}", 1, timeout=seconds + TICK * 4):
            try:
                enqueue(entry)
            except Exception:
                cache.delete(f"caselog:periodic:{name}:{slot}")  # try again next tick
                logger.exception("Could not enqueue the periodic job %s", name)
            else:
                started.append(name)
    return started
