"""A run's stack: a migrated, seeded throwaway database, the task worker and gunicorn."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from load import data
from load.django_env import django_python, server_env, throwaway_database
from load.processes import Server, background_worker, gunicorn


@dataclass
class Stack:
    """A migrated, seeded throwaway database with gunicorn serving it."""

    server: Server
    env: dict[str, str]
    database_url: str
    seeded: dict[str, Any]
    workdir: Path

    def stop(self) -> None:
        """Stop gunicorn: every request has been answered and every worker has exited."""
        self.server.process.kill()

    def check(self) -> dict[str, Any]:
        return data.check(self.env)


@contextmanager
def stack(
    *, database_url: str | None, pg_name: str = "loadtest_caselog", users: int = 4, workers: int = 3
) -> Iterator[Stack]:
    with tempfile.TemporaryDirectory(prefix="caselog-load-") as tmp:
        workdir = Path(tmp)
        with throwaway_database(database_url, pg_name, workdir) as db_url:
            env = server_env(db_url, workdir / "media")
            django_python(
                env,
                "from django.core.management import call_command\n"
                "call_command('migrate', verbosity=0)",
            )
            seeded = data.seed(env, users)
            with background_worker(env, workdir), gunicorn(env, workdir, workers=workers) as server:
                yield Stack(server, env, db_url, seeded, workdir)
