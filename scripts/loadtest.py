"""Load test: gunicorn (3 workers) on loopback, writers posting replies, readers browsing.

Run from the project root:

    .venv/bin/python scripts/loadtest.py                       # SQLite, 60 s, 20 + 20 clients
    .venv/bin/python scripts/loadtest.py --seconds 8 --clients 4
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python scripts/loadtest.py

It never touches the development database. SQLite: a fresh file in a temporary
folder. PostgreSQL (DATABASE_URL): the server in that URL, but its own database,
`loadtest_caselog` (or --pg-name), dropped and created for the run and dropped
after; the database named in the URL is only used to issue CREATE/DROP DATABASE.
Attachments go to a temporary MEDIA_ROOT. Only 127.0.0.1 is contacted.

Writers log in and post replies, some with 1-3 small real files, each carrying
the one-time `submission_id` of the form it came from; now and then a writer
sends the same form twice (a double click). Readers browse the log with filters,
sorts and pages, open cases and export CSV. Everything is bounded by time
(--seconds) and by a total request budget (--max-requests).

Afterwards the database and the disk are compared with what the server
acknowledged (a 302 after the POST): no acknowledged message missing, none
saved twice, every attachment row has its file and every file its row. The
exit status is 1 when a goal is missed: server errors, "database is locked" in
the server log, lost or duplicated messages, orphan or missing files, a foreign
case shown to a reader, or a write p99 of 1 s or more. The server's tracebacks
are printed under the figures, whole and each once (the run's folder, the server
log with it, is deleted at the end).

`run(...)` returns the figures as a dict, for tests; `stack(...)` and `run_on(...)`
let a test drive the load, then its own requests, against one running stack.

The parts live in the package `load/` beside this file (see load/__init__.py);
this file is the command line and the order of a run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The parts, importable once this folder is on the path; re-exported for the tests.
from load.browser import Browser, Response
from load.clients import drive
from load.data import ACCOUNT, FILES, PASSWORD
from load.django_env import django_python, server_env, throwaway_database
from load.report import P99_GOAL_SECONDS, goals_missed, print_table, summarize
from load.stack import Stack, stack

__all__ = [
    "ACCOUNT",
    "FILES",
    "P99_GOAL_SECONDS",
    "PASSWORD",
    "Browser",
    "Response",
    "Stack",
    "django_python",
    "goals_missed",
    "main",
    "run",
    "run_on",
    "server_env",
    "stack",
    "throwaway_database",
]


def run(
    *,
    seconds: float = 60,
    clients: int = 20,
    readers: int | None = None,
    max_requests: int = 100_000,
    workers: int = 3,
    database_url: str | None = None,
    pg_name: str = "loadtest_caselog",
    seed: int = 7,
    think: float = 0.5,
) -> dict[str, Any]:
    started = time.monotonic()
    with stack(
        database_url=database_url, pg_name=pg_name, users=max(2, min(clients, 10)), workers=workers
    ) as live:
        setup_seconds = time.monotonic() - started
        figures = run_on(
            live,
            seconds=seconds,
            clients=clients,
            readers=readers,
            max_requests=max_requests,
            seed=seed,
            think=think,
            stop=True,
        )
    figures["setup_seconds"] = round(setup_seconds, 1)
    return figures


def run_on(
    live: Stack,
    *,
    seconds: float,
    clients: int,
    readers: int | None = None,
    max_requests: int = 100_000,
    seed: int = 7,
    think: float = 0.5,
    stop: bool = False,
) -> dict[str, Any]:
    """Drive the load against a running stack, then compare the database and the disk."""
    readers = clients if readers is None else readers
    results = drive(live.server, live.seeded, seconds, clients, readers, max_requests, seed, think)
    if stop:  # every request has been answered and every worker has exited
        live.stop()
    figures = summarize(
        results, live.check(), live.server.log_text(), live.database_url, clients, readers
    )
    figures["think_seconds"] = think
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=20, help="writers (and readers)")
    parser.add_argument("--readers", type=int, default=None, help="default: --clients")
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="PostgreSQL server to use (default: $DATABASE_URL); otherwise a temporary SQLite file",
    )
    parser.add_argument("--pg-name", default="loadtest_caselog")
    parser.add_argument(
        "--think",
        type=float,
        default=0.5,
        help="mean pause between a client's requests, s (0: as fast as possible)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = run(
        seconds=args.seconds,
        clients=args.clients,
        readers=args.readers,
        max_requests=args.max_requests,
        workers=args.workers,
        database_url=args.database_url,
        pg_name=args.pg_name,
        think=args.think,
    )
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print_table(figures)
    return 1 if figures["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
