"""Send again the notification e-mails the mail server refused (run it from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from correspondence.notifications import send_pending


class Command(BaseCommand):
    help = "Retry the notification e-mails that could not be sent when they were due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=500, help="at most this many per run")

    def handle(self, *args: Any, limit: int, **options: Any) -> None:
        sent, failed = send_pending(limit=limit)
        self.stdout.write(f"{sent} sent, {failed} still failing")
        if failed:
            self.stderr.write("Some notifications still cannot be sent: see the log.")
