"""Rebuild the search index: every case's entries and terms, from its messages.

    manage.py rebuild_search_index [--batch 500] [--from-id ID]

Case by case in batches, each batch one transaction: a case has its old terms
until its batch commits, then its new ones, never none. So the site keeps
searching while it runs, and an interrupted rebuild leaves an index that works
(the cases not reached yet keep their old terms); `--from-id` resumes after the
last case ID it printed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cases.models import Case
from correspondence.services import search_index_rebuild


class Command(BaseCommand):
    help = "Rebuild the search index (entries and terms) from every case and its messages."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=500, help="cases per transaction")
        parser.add_argument("--from-id", type=int, default=0, help="resume after this case ID")

    def handle(self, *args: Any, batch: int, from_id: int, **options: Any) -> None:
        if batch < 1:
            self.stderr.write("--batch must be 1 or more")
            return
        last, cases, entries = from_id, 0, 0
        while True:
            ids = list(
                Case.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch]
            )
            if not ids:
                break
            entries += search_index_rebuild(case_ids=ids)
            cases += len(ids)
            last = ids[-1]
            self.stdout.write(f"{cases} cases re-indexed, up to case {last}")
        self.stdout.write(f"Done: {cases} cases, {entries} entries.")
