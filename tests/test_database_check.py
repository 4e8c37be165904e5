"""A DATABASE_URL that cannot be opened ends in a sentence saying what to pass, not a
driver's traceback (issue 23, item 9): manage.py and the load test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from caselog.database_check import redacted, unreachable_message

ROOT = Path(__file__).resolve().parent.parent
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def test_the_password_never_shows():
    assert redacted("postgres://bob:s3cret@db:5432/x") == "postgres://bob:***@db:5432/x"
    assert redacted("postgres://bob@db/x") == "postgres://bob@db/x"
    message = unreachable_message(
        "postgres://bob:s3cret@db:5432/x", Exception('FATAL:  database "x" does not exist')
    )
    assert "s3cret" not in message
    assert "createdb -h db -p 5432 -U bob x" in message


def _manage(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(  # noqa: S603 - our own arguments, no shell
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_manage_py_says_which_sqlite_file_it_cannot_open(tmp_path):
    result = _manage(f"sqlite:///{tmp_path}/no/such/folder/db.sqlite3", "migrate")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"Cannot open the database sqlite:///{tmp_path}/no/such/folder/db.sqlite3" in (
        result.stderr
    )


@pytest.mark.skipif(not ON_POSTGRES, reason="needs the PostgreSQL server of DATABASE_URL")
def test_manage_py_says_how_to_create_a_missing_postgresql_database():
    server = settings.DATABASES["default"]
    url = (
        f"postgres://{server['USER']}:hidden-pass@{server['HOST'] or '127.0.0.1'}:"
        f"{server['PORT'] or 5432}/caselog_no_such_database"
    )
    result = _manage(url, "migrate")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert 'database "caselog_no_such_database" does not exist' in result.stderr
    assert "createdb" in result.stderr
    assert "hidden-pass" not in result.stderr
