"""What a failing load test prints: the server's tracebacks, whole (issue 23, item 9).

The run's folder (the server log with it) is deleted at the end, and the first
bytes of an error page do not say why: the report must carry the tracebacks.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
_spec = importlib.util.spec_from_file_location("load.report", ROOT / "scripts/load/report.py")
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)

CHAINED = """\
Internal Server Error: /cases/1/reply/
Traceback (most recent call last):
  File "/app/django/db/backends/utils.py", line 105, in _execute
    return self.cursor.execute(sql, params)
psycopg.errors.UniqueViolation: duplicate key value violates unique constraint "token_key"
DETAIL:  Key (client_token)=(abc) already exists.

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/app/django/core/handlers/exception.py", line 55, in inner
    response = get_response(request)
django.db.utils.IntegrityError: duplicate key value violates unique constraint "token_key"
DETAIL:  Key (client_token)=(abc) already exists.
"""
OTHER = """\
Internal Server Error: /cases/export.csv
Traceback (most recent call last):
  File "/app/cases/export.py", line 1, in export_rows
    raise OSError("boom")
OSError: boom
"""
GUNICORN = "[2026-12-06 20:00:00 +0000] [12] [WARNING] Worker with pid 13 was terminated\n"


def test_each_traceback_is_reported_whole_once_with_its_count():
    log = GUNICORN + CHAINED + "Refused a request body: too big\n" + OTHER + CHAINED + GUNICORN
    blocks = report.server_tracebacks(log)
    assert len(blocks) == 2
    assert blocks[0] == "(2 times)\n" + CHAINED.rstrip("\n")
    assert blocks[1] == OTHER.rstrip("\n")
    assert not any("Worker with pid" in block or "Refused" in block for block in blocks)


def test_a_clean_log_has_no_traceback():
    assert report.server_tracebacks(GUNICORN + "Refused a request body: too big\n") == []


def test_a_failing_run_prints_the_tracebacks(capsys):
    figures = {
        "database": "PostgreSQL",
        "seconds": 1,
        "writers": 1,
        "readers": 1,
        "think_seconds": 0,
        "requests": 2,
        "requests_per_second": 2,
        "statuses": {200: 1, 500: 1},
        "server_errors": 1,
        "database_locked": 0,
        "tracebacks_in_log": 2,
        "acknowledged": 1,
        "resubmissions_refused": 0,
        "messages_in_db": 1,
        "lost": 0,
        "duplicated": 0,
        "unacknowledged_saved": 0,
        "attachments_sent": 0,
        "attachment_rows": 0,
        "attachment_mismatch": 0,
        "files_on_disk": 0,
        "orphans": 0,
        "missing_files": 0,
        "exports": 0,
        "foreign_rows": 0,
        "write_p50": 0.1,
        "write_p99": 0.1,
        "write_max": 0.1,
        "read_p50": 0.1,
        "read_p99": 0.1,
        "first_errors": ["500: <!doctype html>"],
        "tracebacks": report.server_tracebacks(CHAINED),
    }
    figures["failures"] = report.goals_missed(figures)
    report.print_table(figures)
    printed = capsys.readouterr().out
    assert "DETAIL:  Key (client_token)=(abc) already exists." in printed
    assert "django.db.utils.IntegrityError" in printed
    assert "RESULT: FAIL" in printed
