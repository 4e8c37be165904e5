"""The project's background tasks (Django's Tasks framework).

- `deliver_email`: one queued e-mail, sent through MAILERS["outgoing"]; a failure
  schedules the next attempt with backoff (1 min doubling to 2 h, 20 attempts,
  just over 26 hours); the last failure, or a permanent refusal (5xx), stays in
  the admin ("E-mail deliveries", undelivered) with its error, to be retried there.
- `requeue_stalled_tasks`, `prune_task_results`, `run_command`: periodic
  housekeeping, scheduled by `background.periodic`.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import mailers
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, router, transaction
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, Task, TaskResultStatus, task, task_backends
from django.tasks.backends.immediate import ImmediateBackend
from django.utils import timezone
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from background.mail import OUTGOING, UnreadableEmail, describe, drop_unsendable, email_from_payload

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 20
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=2)


class EmailDeferred(Exception):
    """An attempt failed; the next one is scheduled (the task row shows why)."""


class EmailUndelivered(Exception):
    """The last attempt failed: the e-mail waits in the admin for a manual retry."""


def retry_delay(attempt: int) -> timedelta:
    """How long to wait after failed attempt number `attempt` (1-based)."""
    return min(FIRST_RETRY * 2 ** (attempt - 1), LONGEST_WAIT)


def queue_is_in_database(backend: Any) -> bool:
    if not isinstance(backend, DatabaseBackend):
        return False
    return router.db_for_write(DBTaskResult) == DEFAULT_DB_ALIAS


def enqueue_on_commit(task_: Task, *args: Any, **kwargs: Any) -> None:
    """Queue `task_` so that it exists exactly when the caller's transaction commits.

    A queue kept in this database takes the row inside the transaction (the write
    and its task commit or roll back together); any other queue (Redis) is told
    after the commit, so its worker never sees a task for a rolled-back write.
    The immediate backend (tests, one-off scripts) runs the task where it is called.
    """
    backend = task_.get_backend()
    if queue_is_in_database(backend) or isinstance(backend, ImmediateBackend):
        task_.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: task_.enqueue(*args, **kwargs))


def queue_with_transaction(callback: Callable[[], Any]) -> None:
    """Run `callback`, which queues tasks (e-mails), so they commit with the caller's write.

    With the queue in this database it runs now, inside the caller's transaction
    (in a savepoint: a failure to queue is logged and the write still commits), so
    a process killed right after the commit cannot lose the e-mail. Any other
    queue hears after the commit, as `transaction.on_commit` would have it.
    """
    if not queue_is_in_database(task_backends[DEFAULT_TASK_BACKEND_ALIAS]):
        transaction.on_commit(callback)
        return
    try:
        with transaction.atomic():
            callback()
    except Exception:
        logger.exception("Could not queue the background work of this write")


@task()
def deliver_email(payload: dict[str, Any], attempt: int = 1) -> str:
    try:
        email = email_from_payload(payload)
    except UnreadableEmail as error:  # no retry can open it: undelivered, with the reason
        logger.error("E-mail undelivered: %s: %s", describe(payload), error)
        raise EmailUndelivered(f"{describe(payload)}: {error}") from error
    dropped = drop_unsendable(email)
    if dropped:
        # Stored before addresses were checked, or typed past the forms: the
        # server could never be given them, and no retry would change that.
        logger.warning(
            "E-mail sent without %s (cannot be encoded for sending): %s",
            ", ".join(map(repr, dropped)),
            describe(payload),
        )
        if not email.recipients():
            logger.error("E-mail undelivered, no recipient can be sent to: %s", describe(payload))
            raise EmailUndelivered(
                f"{describe(payload)}: no recipient can be sent to ({', '.join(dropped)})"
            )
    try:
        sent = mailers[OUTGOING].send_messages([email])
        if not sent:
            raise RuntimeError("the mail server accepted no recipient")
    except Exception as error:
        _schedule_retry(payload, attempt, error)
    return email.extra_headers.get("Message-ID", "")


def is_permanent(error: Exception) -> bool:
    """The server refused for good (5xx: no such mailbox, message rejected): no retry helps."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _message in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    return False


def _schedule_retry(payload: dict[str, Any], attempt: int, error: Exception) -> None:
    summary = f"{describe(payload)} — attempt {attempt} of {MAX_ATTEMPTS}: {error!r}"
    backend = deliver_email.get_backend()
    if attempt >= MAX_ATTEMPTS or not backend.supports_defer or is_permanent(error):
        logger.error("E-mail undelivered, retry it from the admin: %s", summary)
        raise EmailUndelivered(summary) from error
    run_after = timezone.now() + retry_delay(attempt)
    # The next attempt is a new task: this one ends as failed with the reason.
    deliver_email.using(run_after=run_after).enqueue(payload, attempt + 1)
    logger.warning("E-mail deferred until %s: %s", run_after.isoformat(), summary)
    raise EmailDeferred(f"{summary}; next attempt at {run_after.isoformat()}") from error


@task()
def requeue_stalled_tasks() -> int:
    """Run again the tasks a worker claimed and never finished (it was killed).

    A task is stalled when it has been running longer than
    CASELOG_TASK_STALLED_AFTER seconds (15 minutes by default), far beyond an
    SMTP timeout. Only the database queue needs this; RQ has its own.
    """
    if not queue_is_in_database(requeue_stalled_tasks.get_backend()):
        return 0
    cutoff = timezone.now() - timedelta(seconds=settings.CASELOG_TASK_STALLED_AFTER)
    stalled = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
    count = stalled.update(status=TaskResultStatus.READY, started_at=None)
    if count:
        logger.warning("Requeued %d stalled task(s)", count)
    return count


@task()
def prune_task_results() -> None:
    """Forget finished tasks after a while; final e-mail failures stay until retried."""
    if queue_is_in_database(prune_task_results.get_backend()):
        call_command("prune_db_task_results", min_age_days=14, failed_min_age_days=90, verbosity=0)


@task()
def run_command(name: str) -> None:
    """A management command as a task: how periodic work written as a command is scheduled."""
    call_command(name)
