"""The hand-built HTML of the log rows, the thread and the file table, timed alone.

    .venv/bin/python benchmarks/bench_fragments.py [--repeat 200]

No database: rows and messages are built in memory and given their display
values by the pages' own helpers (`cases.display.log_rows_display`,
`correspondence.display.prepare_thread`), then `log_rows_html`
(25 and 100 rows, every state, snippets, marks) and `thread_items`/`file_rows`
(300 messages, 900 files) are timed with `timeit`, in English and French.
The numbers are in benchmarks/README.md ("HTML fragments").
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import timeit
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caselog.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.utils import timezone, translation  # noqa: E402

from cases.display import log_rows_display, log_rows_html  # noqa: E402
from cases.models import Case, CaseState  # noqa: E402
from correspondence.display import prepare_thread  # noqa: E402
from correspondence.fragments import file_rows, thread_items  # noqa: E402
from correspondence.models import Attachment, Message  # noqa: E402

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
STATES = list(CaseState)


def log_rows(count: int) -> list[Case]:
    rows = []
    for i in range(count):
        state = STATES[i % len(STATES)]
        resolved_at = None
        if state == CaseState.RESOLVED:
            resolved_at = timezone.now() - timedelta(days=5 if i % 2 else 90)
        case = Case(
            id=4_100_000_000 + i * 7919,
            state=state,
            created_at=NOW - timedelta(hours=i),
            last_activity_at=NOW - timedelta(minutes=i * 13),
            resolved_at=resolved_at,
            primary_email=f"seller{i % 4}@example.com",
            short_description=f"Refund for order 171-76543{i:02d} <not received> & late",
        )
        case.opened_by_email = "colleague@example.com" if i % 3 == 0 else ""
        case.changed_since_seen = i % 4 == 0
        case.search_snippet = None
        rows.append(case)
    return log_rows_display(rows)


def thread(messages: int, files_each: int) -> list[Message]:
    author = get_user_model()(email="seller@example.com")
    thread = []
    for i in range(messages):
        support = i % 2 == 1
        message = Message(
            pk=i + 1,
            direction=Message.Direction.FROM_SUPPORT if support else Message.Direction.FROM_SELLER,
            subject=f"Order 171-{i:07d} \u2014 \u00ab quoted \u00bb & <b>" if i % 5 else "",
            body="Hello,\n\nthe parcel never arrived.\nCould you look?\n\nThanks & regards",
            author=None if support else author,
            sent_at=NOW + timedelta(minutes=i),
        )
        message.files = []
        for j in range(files_each):
            attachment = Attachment(
                token=f"tok{i:04d}x{j}AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
                original_name=f"invoice-{i}-{j}.pdf",
                size=1024 * (i + 1) * (j + 3),
                uploaded_at=message.sent_at,
            )
            message.files.append(attachment)
        thread.append(message)
    prepare_thread(thread)
    return thread


def best_ms(call: Any, repeat: int) -> float:
    # CPU time of this process: other work on the machine does not count.
    timer = timeit.Timer(call, timer=time.process_time)
    number = max(1, repeat // 10)
    return min(timer.repeat(repeat=10, number=number)) / number * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=200, help="calls per figure (200)")
    args = parser.parse_args()
    messages = thread(300, 3)
    pairs = [(m, a) for m in messages for a in m.files]
    for language in ("en", "fr"):
        with translation.override(language):
            for count in (25, 100):
                rows = log_rows(count)
                ms = best_ms(lambda rows=rows: log_rows_html(rows), args.repeat)
                print(f"{language} log rows x{count}: {ms:.3f} ms")
            ms = best_ms(lambda: thread_items(messages), args.repeat)
            print(f"{language} thread x300 (900 files): {ms:.3f} ms")
            ms = best_ms(lambda: file_rows(pairs), args.repeat)
            print(f"{language} file rows x900: {ms:.3f} ms")


if __name__ == "__main__":
    main()
