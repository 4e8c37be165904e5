"""The background worker: runs queued tasks and, in the same process, the periodic schedule.

`manage.py run_worker` is what `make run` starts beside the web server and what
each worker machine runs. With the database queue (the default) it is
django-tasks-db's worker; with another queue (RQ) run that queue's worker and
`manage.py run_worker --scheduler-only` on one machine.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connections
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

from background import periodic
from background.tasks import queue_is_in_database

logger = logging.getLogger(__name__)


def run_scheduler(stop: threading.Event) -> None:
    while not stop.is_set():
        close_old_connections()
        try:
            periodic.enqueue_due()
        except Exception:  # the database or cache is away: try again next tick
            logger.exception("The periodic scheduler could not run")
        stop.wait(periodic.TICK)
    connections.close_all()


class Command(BaseCommand):
    help = "Run queued background tasks (e-mails, timers) and the periodic schedule."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-scheduler",
            action="store_false",
            dest="scheduler",
            help="only run tasks (another worker runs the periodic schedule)",
        )
        parser.add_argument(
            "--scheduler-only",
            action="store_true",
            help="only run the periodic schedule (beside another queue's worker, e.g. RQ)",
        )
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument("--batch", action="store_true", help="run what is due, then exit")

    def handle(
        self,
        *args: Any,
        scheduler: bool,
        scheduler_only: bool,
        interval: float,
        batch: bool,
        **options: Any,
    ) -> None:
        if scheduler_only:
            stop = threading.Event()
            try:
                run_scheduler(stop)
            except KeyboardInterrupt:
                stop.set()
            return
        if not queue_is_in_database(task_backends[DEFAULT_TASK_BACKEND_ALIAS]):
            raise CommandError(
                "The task queue is not the database: run its own worker (e.g. `manage.py "
                "rqworker`) and `manage.py run_worker --scheduler-only` on one machine."
            )
        stop = threading.Event()
        if scheduler and not batch:
            threading.Thread(target=run_scheduler, args=(stop,), daemon=True).start()
        try:
            call_command(
                "db_worker",
                interval=interval,
                batch=batch,
                reload=False,
                verbosity=options["verbosity"],
            )
        finally:
            stop.set()
