"""The throwaway database of a run, the servers' environment, and Django in a subprocess.

It never touches the development database. SQLite: a fresh file in the run's
temporary folder. PostgreSQL: the server of the URL given, but a database of the
run's own, dropped and created for the run and dropped after; the database named
in the URL is only used to issue CREATE/DROP DATABASE.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(1, str(ROOT))  # the project's packages (caselog.database_check)

from caselog.database_check import unreachable_message  # noqa: E402 - needs ROOT on the path

IN_DJANGO = Path(__file__).resolve().parent / "in_django"
SAFE_PG_REFUSED = {"test", "postgres", "template0", "template1"}


def _pg_urls(base_url: str, name: str) -> tuple[str, str]:
    """(admin URL: the database in base_url, target URL: the same server, database `name`)."""
    if name in SAFE_PG_REFUSED:
        raise SystemExit(f"refusing to use the database {name!r} for a load test")
    parts = urlsplit(base_url)
    return base_url, urlunsplit(parts._replace(path=f"/{name}"))


def _pg_admin(admin_url: str, sql: str) -> None:
    import psycopg

    try:
        conn = psycopg.connect(admin_url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as error:
        raise SystemExit(
            unreachable_message(admin_url, error)
            + "\n(The load test only uses that database to create and drop its own.)"
        ) from None
    with conn:
        conn.execute(sql)


@contextmanager
def throwaway_database(database_url: str | None, pg_name: str, workdir: Path) -> Iterator[str]:
    if not database_url or database_url.startswith("sqlite"):
        yield f"sqlite:///{workdir / 'loadtest.sqlite3'}"
        return
    admin_url, target_url = _pg_urls(database_url, pg_name)
    _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    _pg_admin(admin_url, f'CREATE DATABASE "{pg_name}"')
    try:
        yield target_url
    finally:
        _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def server_env(database_url: str, media_root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "DJANGO_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "caselog.settings",
            "DATABASE_URL": database_url,
            "MEDIA_ROOT": str(media_root),
            # DEBUG on: plain HTTP on loopback, no collected static files needed.
            "DJANGO_DEBUG": "1",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_LOG_LEVEL": "WARNING",
            "EMAIL_URL": "dummy://",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def django_python(env: dict[str, str], code: str, *args: str, timeout: int = 600) -> str:
    """Run `code` in a Django-configured interpreter with `env`; return its stdout."""
    prelude = "import django, sys, json; django.setup()\n"
    result = subprocess.run(
        [sys.executable, "-c", prelude + code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"Django subprocess failed:\n{result.stderr[-4000:]}")
    return result.stdout


def run_in_django(env: dict[str, str], script: str, *args: str) -> str:
    """Run `in_django/<script>.py` with `args` in the environment `env`; return its stdout."""
    return django_python(env, (IN_DJANGO / f"{script}.py").read_text(encoding="utf-8"), *args)
