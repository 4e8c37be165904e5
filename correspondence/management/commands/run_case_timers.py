"""The conversation's clocks: reminders and automatic resolutions (run it from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from correspondence.services import case_timers_run


class Command(BaseCommand):
    help = (
        "Send the reminder of cases about to be resolved automatically and resolve the "
        "cases left unanswered too long. Idempotent; safe to run twice at once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        run = case_timers_run()
        self.stdout.write(f"{run.reminded} reminded, {run.resolved} resolved")
