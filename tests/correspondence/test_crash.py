"""Every kind of e-mail survives a crash right after the commit of the write that causes it.

Each write runs in a process of its own (`crash_probe.py act <kind>`) on a real
database with the database task queue, and that process dies the moment the
write commits, before any `on_commit` callback: then the worker
(`crash_probe.py work`) must still send the e-mail. SQLite (a database file) or
PostgreSQL (a database of its own beside the test database), as the suite runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from cases.models import CaseEvent
from cases.notices import ESCALATED, NEW_OWNER, REMINDER
from correspondence.notifications import SELLER_EVENTS, SUPPORT_EVENTS

PROBE = Path(__file__).with_name("crash_probe.py")
ROOT = PROBE.parents[2]
SUPPORT = "support@caselog.example"

# kind → (the notice it is, who gets the e-mail, words of its subject)
KINDS = {
    "reply": (CaseEvent.SELLER_REPLIED, SUPPORT, "A seller replied"),
    "not_solved": (CaseEvent.SELLER_NOT_SOLVED, SUPPORT, "did not solve"),
    "support_answer": (
        CaseEvent.SUPPORT_ANSWERED,
        "support_answer@example.com",
        "Seller Support answered",
    ),
    "support_needs_action": (
        CaseEvent.SUPPORT_NEEDS_ACTION,
        "support_needs_action@example.com",
        "needs you to act",
    ),
    "agent_resolve": (CaseEvent.RESOLVED, "agent_resolve@example.com", "Seller Support resolved"),
    "agent_transfer": (CaseEvent.TRANSFERRED, "agent_transfer@example.com", "transferred"),
    "agent_reopen": (CaseEvent.REOPENED, "agent_reopen@example.com", "reopened your case"),
    "seller_resolve": (CaseEvent.SELLER_RESOLVED, SUPPORT, "A seller resolved a case"),
    "escalation": (ESCALATED, SUPPORT, "asked for escalation"),
    "new_owner": (NEW_OWNER, "new_owner.colleague@example.com", "You are now the owner"),
    "hand_off": (NEW_OWNER, "hand_off.colleague@example.com", "2 cases are now yours"),
    "reminder": (REMINDER, "reminder@example.com", "resolved automatically soon"),
    "auto_resolution": (
        CaseEvent.AUTO_RESOLVED,
        "auto_resolution@example.com",
        "resolved automatically",
    ),
    "new_case": (CaseEvent.SELLER_OPENED, SUPPORT, "A seller opened a new case"),
    # Not a case notice, but an e-mail all the same (Django's form, through our mailer).
    "password_reset": (None, "password_reset@example.com", ""),
}


def test_every_kind_of_case_email_is_probed():
    probed = {notice for notice, _to, _subject in KINDS.values() if notice is not None}
    assert probed == set(SELLER_EVENTS) | set(SUPPORT_EVENTS)


def _postgres(name: str, *, create: bool) -> str:
    """Drop the database `name` (and create it afresh); its URL."""
    import psycopg

    params = connection.settings_dict
    host, port, user = params["HOST"] or "127.0.0.1", params["PORT"] or 5432, params["USER"]
    password = params["PASSWORD"]
    with psycopg.connect(
        host=host, port=port, user=user, password=password, dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            admin.execute(f'CREATE DATABASE "{name}"')
    credentials = f"{user}:{password}" if password else user
    return f"postgres://{credentials}@{host}:{port}/{name}"


@pytest.fixture(scope="module")
def crash_env(tmp_path_factory):
    """A migrated database that the probe processes share, and their environment."""
    postgres = connection.vendor == "postgresql"
    name = f"{connection.settings_dict['NAME']}_crash"
    if postgres:
        url = _postgres(name, create=True)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('crash') / 'crash.sqlite3'}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TASKS_BACKEND": "database",
        "CASELOG_SUPPORT_EMAIL": SUPPORT,
        "MEDIA_ROOT": str(tmp_path_factory.mktemp("media")),
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    yield env
    if postgres:
        _postgres(name, create=False)


def _probe(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (this interpreter, our probe, fixed words)
        [sys.executable, str(PROBE), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_email_is_delivered_though_the_process_died_right_after_the_commit(crash_env, kind):
    acted = _probe(crash_env, "act", kind)
    assert acted.returncode == 0, acted.stderr

    worked = _probe(crash_env, "work")
    assert worked.returncode == 0, worked.stderr
    sent = json.loads(worked.stdout.strip().splitlines()[-1])

    _notice, recipient, subject = KINDS[kind]
    assert [m for m in sent if recipient in m["to"] and subject in m["subject"]], sent
    assert len(sent) == 1, sent
