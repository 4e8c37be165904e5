"""`make run` on one SQLite file with commands beside it: nothing fails, nothing is lost.

Run from the project root (a few minutes is the tester's check):

    .venv/bin/python scripts/sqlite_stress.py                    # 90 s
    .venv/bin/python scripts/sqlite_stress.py --seconds 600 --port 18100

What `make run` starts, on a throwaway database (a fresh file in a temporary
folder, never db.sqlite3): `manage.py runserver` with its autoreloader and
`manage.py run_worker`. Beside them, every `--command-every` seconds, a short
management command on the same file, in turn `manage.py shell -c "<one query>"`
and `manage.py run_case_timers`. Writers post replies (some with files), readers
browse the log and the case pages, on 127.0.0.1 only; everything stops by itself
(a deadline and a request budget).

It fails (exit status 1, with the tails of the server's and the worker's logs)
on any 5xx or refused request, any failed command, a lost or duplicated reply,
"database is locked", "malformed" or "disk I/O error" in a log, a process found
holding a deleted `-wal` or `-shm` file, or a database that fails SQLite's
integrity check. `tests/reliability/test_sqlite_processes.py` runs it for
`CASELOG_SQLITE_STRESS_SECONDS` (default 60).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import data
from load.browser import Browser
from load.clients import drive
from load.django_env import ROOT, django_python, server_env, throwaway_database
from load.processes import Process, Server, background_worker, free_port, start
from load.report import summarize

COMMANDS = [
    ["shell", "-c", "from cases.models import User; print(User.objects.count())"],
    ["run_case_timers"],
]
BAD_IN_LOGS = ["database is locked", "malformed", "disk i/o error"]


@contextmanager
def runserver(env: dict[str, str], workdir: Path, port: int) -> Iterator[Server]:
    """`manage.py runserver` as `make run` starts it: threaded, with the autoreloader."""
    command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"]
    server = Server(port, start("runserver", command, cwd=ROOT, env=env, log_dir=workdir))
    try:
        deadline = time.monotonic() + 120  # a busy machine starts Django slowly
        while True:
            if not server.process.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"runserver did not answer:\n{server.log_text()[-4000:]}")
            try:
                Browser(port).get("/accounts/login/")
                break
            except OSError:
                time.sleep(0.3)
        yield server
    finally:
        server.process.kill()


def group_pids(process: Process) -> list[int]:
    """The process and its children (runserver's autoreloader starts the server as a child)."""
    pids = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: pgrp is the group start() made for the process.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and int(fields[2]) == process.popen.pid:
            pids.append(int(entry.name))
    return pids


def deleted_database_files(processes: list[Process]) -> list[str]:
    """Each `<pid>: <file>` of a SQLite file that was deleted while the process kept it open."""
    found = []
    for process in processes:
        for pid in group_pids(process):
            fd_dir = Path(f"/proc/{pid}/fd")
            try:
                targets = [os.readlink(fd) for fd in fd_dir.iterdir()]
            except OSError:
                continue
            found += [
                f"{process.name} {pid}: {t}" for t in targets if "sqlite3" in t and "(deleted)" in t
            ]
    return found


class Watch:
    """Runs the commands in turn and looks for deleted database files, until stopped."""

    def __init__(self, env: dict[str, str], processes: list[Process], every: float) -> None:
        self.env, self.processes, self.every = env, processes, every
        self.stop = threading.Event()
        self.commands = 0
        self.failed_commands: list[str] = []
        self.deleted: list[str] = []
        self.threads = [
            threading.Thread(target=self._commands, daemon=True),
            threading.Thread(target=self._files, daemon=True),
        ]

    def __enter__(self) -> Watch:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)

    def _commands(self) -> None:
        turn = 0
        while not self.stop.is_set():
            args = COMMANDS[turn % len(COMMANDS)]
            turn += 1
            try:
                result = subprocess.run(
                    [sys.executable, "manage.py", *args],
                    cwd=ROOT,
                    env=self.env,
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=False,
                )
                failed = result.returncode != 0 or any(
                    bad in result.stderr.lower() for bad in BAD_IN_LOGS
                )
                detail = result.stderr[-1500:]
            except subprocess.TimeoutExpired:
                failed, detail = True, "timed out after 120 s"
            self.commands += 1
            if failed:
                self.failed_commands.append(f"manage.py {' '.join(args)}: {detail}")
            self.stop.wait(self.every)

    def _files(self) -> None:
        while not self.stop.is_set():
            for found in deleted_database_files(self.processes):
                if found not in self.deleted:
                    self.deleted.append(found)
            self.stop.wait(0.5)


def integrity(database: Path) -> str:
    """SQLite's integrity check, once every process has stopped."""
    conn = sqlite3.connect(database)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def run(
    *,
    seconds: float = 90,
    writers: int = 2,
    readers: int = 3,
    command_every: float = 1.0,
    port: int | None = None,
    think: float = 0.05,
    max_requests: int = 100_000,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="caselog-sqlite-stress-") as tmp:
        workdir = Path(tmp)
        with throwaway_database(None, "", workdir) as db_url:
            env = server_env(db_url, workdir / "media")
            django_python(
                env,
                "from django.core.management import call_command\n"
                "call_command('migrate', verbosity=0)",
            )
            seeded = data.seed(env, max(2, writers + readers))
            with (
                background_worker(env, workdir) as worker,
                runserver(env, workdir, port or free_port()) as server,
            ):
                with Watch(env, [server.process, worker], command_every) as watch:
                    try:
                        results = drive(
                            server, seeded, seconds, writers, readers, max_requests, 11, think
                        )
                    except Exception as error:  # e.g. a login answered 500: show why
                        raise RuntimeError(
                            f"{error}\n--- runserver log ---\n{server.log_text()[-4000:]}"
                            f"\n--- worker log ---\n{worker.log_text()[-2000:]}"
                        ) from error
                deleted = watch.deleted + deleted_database_files([server.process, worker])
                server.process.kill()  # every request answered before the check
                worker.kill()
                logs = {"runserver": server.log_text(), "worker": worker.log_text()}
            figures = summarize(
                results, data.check(env), logs["runserver"], db_url, writers, readers
            )
            figures["commands_run"] = watch.commands
            figures["failed_commands"] = watch.failed_commands[:5]
            figures["deleted_files_held"] = deleted[:10]
            figures["integrity_check"] = integrity(Path(db_url.removeprefix("sqlite:///")))
            figures["failures"] = failures(figures, logs)
            if figures["failures"]:
                figures["runserver_log_tail"] = logs["runserver"][-4000:]
                figures["worker_log_tail"] = logs["worker"][-2000:]
    return figures


def failures(figures: dict[str, Any], logs: dict[str, str]) -> list[str]:
    # Correctness only: the write p99 is a speed goal (`make loadtest`), not this check's.
    missed = [f for f in figures["failures"] if not f.startswith("write p99")]
    if figures["acknowledged"] < figures["writers"]:
        missed.append(f"only {figures['acknowledged']} replies acknowledged")
    if figures["failed_commands"]:
        missed.append(f"{len(figures['failed_commands'])}+ management commands failed")
    if figures["deleted_files_held"]:
        missed.append("a process held a deleted database file")
    if figures["integrity_check"] != "ok":
        missed.append(f"integrity_check: {figures['integrity_check'][:200]}")
    for name, text in logs.items():
        missed += [f"{bad!r} in the {name} log" for bad in BAD_IN_LOGS if bad in text.lower()]
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=90)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--readers", type=int, default=3)
    parser.add_argument("--command-every", type=float, default=1.0, help="seconds between commands")
    parser.add_argument("--port", type=int, default=None, help="default: a free port")
    parser.add_argument("--think", type=float, default=0.05, help="mean pause of a client, s")
    args = parser.parse_args(argv)
    figures = run(
        seconds=args.seconds,
        writers=args.writers,
        readers=args.readers,
        command_every=args.command_every,
        port=args.port,
        think=args.think,
    )
    print(json.dumps(figures, indent=2, default=str))
    return 1 if figures["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
