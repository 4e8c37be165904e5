"""SQLite shared by several processes: `make run` (runserver, the worker) and commands beside.

The tester's failure (issue 23): runserver kept using a `-wal` and `-shm` that a
closing connection of another process had deleted, answered "disk I/O error" and
"database disk image is malformed", and lost an acknowledged reply. No connection
of the project deletes them now (caselog/sqlite.py).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db.utils import ConnectionHandler

ROOT = Path(__file__).resolve().parents[2]
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")


def project_sqlite_connection(path: Path):
    """A Django connection to `path` with the project's SQLite settings (not the test database)."""
    options = dict(settings.SQLITE_OPTIONS)
    handler = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path), "OPTIONS": options}}
    )
    return handler["default"]


@pytest.fixture(autouse=True)
def own_database_files(django_db_blocker):
    """These tests open their own files, never the test database."""
    with django_db_blocker.unblock():
        yield


def test_closing_the_last_connection_leaves_the_wal_and_its_index(tmp_path):
    """Deleting them is what left another process on files nobody else sees."""
    database = tmp_path / "db.sqlite3"
    connection = project_sqlite_connection(database)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE reply (body TEXT)")
        cursor.execute("INSERT INTO reply VALUES ('kept')")
    wal, shm = Path(f"{database}-wal"), Path(f"{database}-shm")
    wal_inode = wal.stat().st_ino

    connection.close()  # the last connection to the file

    assert wal.exists()
    assert shm.exists()
    assert wal.stat().st_ino == wal_inode
    reopened = project_sqlite_connection(database)
    with reopened.cursor() as cursor:
        cursor.execute("SELECT body FROM reply")
        assert cursor.fetchall() == [("kept",)]
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone() == ("wal",)
    reopened.close()


def test_the_wal_left_beside_the_database_is_trimmed(tmp_path):
    connection = project_sqlite_connection(tmp_path / "db.sqlite3")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_size_limit")
        assert cursor.fetchone()[0] == 64 * 1024 * 1024
    connection.close()


# --- the stress test: the processes of `make run`, for a minute ---------------------

_spec = importlib.util.spec_from_file_location(
    "sqlite_stress", ROOT / "scripts" / "sqlite_stress.py"
)
sqlite_stress = importlib.util.module_from_spec(_spec)
sys.modules["sqlite_stress"] = sqlite_stress
_spec.loader.exec_module(sqlite_stress)


@pytest.mark.stress
@pytest.mark.skipif(ON_POSTGRES, reason="a SQLite file of its own: run in the SQLite half of CI")
@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs Linux's /proc")
def test_runserver_worker_and_commands_on_one_sqlite_file():
    """runserver, the worker and a management command every second: no failure, nothing lost.

    CASELOG_SQLITE_STRESS_SECONDS runs it longer (the tester's check is minutes).
    """
    seconds = float(os.environ.get("CASELOG_SQLITE_STRESS_SECONDS", "60"))
    port = int(os.environ.get("CASELOG_SQLITE_STRESS_PORT", "0")) or None

    figures = sqlite_stress.run(seconds=seconds, port=port)

    report = json.dumps(figures, indent=2, default=str)
    assert figures["failures"] == [], report
    assert figures["acknowledged"] >= figures["writers"], report
    assert figures["commands_run"] >= 2, report
    assert figures["lost"] == 0, report
    assert figures["server_errors"] == 0, report
