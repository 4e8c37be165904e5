"""The load test, short, and the races and lock waits it needs a real server for.

gunicorn with 3 worker processes on loopback, against a throwaway database: a
SQLite file (WAL, IMMEDIATE transactions) and, when DATABASE_URL points to
PostgreSQL, a database of its own on that server (never the pytest one).
`make loadtest` runs the full version (scripts/loadtest.py).
"""

from __future__ import annotations

import importlib.util
import os
import re
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("loadtest", ROOT / "scripts" / "loadtest.py")
loadtest = importlib.util.module_from_spec(_spec)
sys.modules["loadtest"] = loadtest
_spec.loader.exec_module(loadtest)

POSTGRES_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = POSTGRES_URL.startswith("postgres")
needs_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="DATABASE_URL is not PostgreSQL")
# The SQLite runs use their own file database whatever DATABASE_URL says: run them
# once, in the SQLite half of CI, not again in the PostgreSQL half.
sqlite_half_only = pytest.mark.skipif(ON_POSTGRES, reason="run in the SQLite half of the suite")


def assert_goals_met(figures: dict[str, Any]) -> None:
    # Correctness only: nothing lost, duplicated, orphaned or refused. The write
    # p99 goal is a speed target: `make loadtest` checks it, not a timed test
    # that a busy machine would fail.
    failures = [f for f in figures["failures"] if not f.startswith("write p99")]
    assert failures == [], figures
    # At least one acknowledged write per writer (a busy machine writes fewer).
    assert figures["acknowledged"] >= figures["writers"], figures
    assert figures["attachment_rows"] > 0, figures
    assert figures["exports"] > 0, figures


@needs_postgres
def test_short_load_on_postgresql():
    figures = loadtest.run(
        seconds=4,
        clients=4,
        think=0.05,
        database_url=POSTGRES_URL,
        pg_name=f"loadtest_caselog_{os.getpid()}",
    )
    assert figures["database"] == "PostgreSQL"
    assert_goals_met(figures)


# --- one SQLite stack for the lock and race tests --------------------------------


@pytest.fixture(scope="module")
def sqlite_stack():
    if ON_POSTGRES:
        pytest.skip("run in the SQLite half of the suite")
    with loadtest.stack(database_url=None, users=4) as live:
        yield live


def test_short_load_on_sqlite(sqlite_stack):
    """First on the shared stack: the later tests only add their own, checked, messages."""
    figures = loadtest.run_on(sqlite_stack, seconds=4, clients=4, think=0.05)
    assert figures["database"] == "SQLite"
    assert_goals_met(figures)


def browser_for(live, email: str) -> Any:
    browser = loadtest.Browser(live.server.port)
    browser.login(email, loadtest.PASSWORD)
    return browser


def form_fields(page: Any) -> dict[str, str]:
    fields = {}
    for name in ["csrfmiddlewaretoken", "submission_id", "version", "primary_email"]:
        match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page.text)
        if match:
            fields[name] = match.group(1)
    return fields


def at_once(*actions) -> list[Any]:
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(index, action) -> None:
        barrier.wait(timeout=10)
        results[index] = action()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_a_reply_waits_for_a_write_lock_held_by_another_process(sqlite_stack):
    """Another connection holds the SQLite write lock for 3 s: the reply waits, then saves."""
    live = sqlite_stack
    seller = browser_for(live, live.seeded["emails"][0])
    case_id = live.seeded["cases"][0]
    fields = form_fields(seller.get(f"/cases/{case_id}/"))
    fields["body"] = "Sent while the database was busy"
    database = live.database_url.removeprefix("sqlite:///")

    reader = browser_for(live, live.seeded["emails"][1])  # logging in writes: before the lock

    holder = sqlite3.connect(database, timeout=5, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE cases_case SET version = version WHERE id = ?", [case_id])
    try:
        started = time.monotonic()
        reply: dict[str, Any] = {}
        thread = threading.Thread(
            target=lambda: reply.update(
                response=seller.post_multipart(
                    f"/cases/{case_id}/reply/", fields, [loadtest.FILES[0]]
                ),
                at=time.monotonic(),
            )
        )
        thread.start()
        # Readers are not blocked meanwhile (WAL).
        assert reader.get("/cases/").status == 200
        time.sleep(3)
        assert thread.is_alive()  # still waiting for the lock
    finally:
        holder.execute("COMMIT")
        holder.close()
    thread.join(timeout=30)

    assert reply["response"].status == 302
    assert reply["at"] - started >= 3
    assert "database is locked" not in live.server.log_text()
    check = live.check()
    assert check["per_token"][fields["submission_id"]] == 1
    assert check["attachments_per_token"][fields["submission_id"]] == 1
    assert check["attachment_rows"] == check["files"]
    assert check["orphan_count"] == check["missing_count"] == 0


def test_two_users_saving_the_edit_form_at_once_on_sqlite(sqlite_stack):
    live = sqlite_stack
    case_id = live.seeded["cases"][5]
    url = f"/cases/{case_id}/edit/"
    posts = []
    for index, email in enumerate(live.seeded["emails"][:2]):
        browser = browser_for(live, email)
        fields = form_fields(browser.get(url))
        fields.update(
            primary_email=live.seeded["emails"][0],
            cc_list=f"cc{index}@example.org",
            short_description=f"Edit {index}",
        )
        posts.append(lambda b=browser, f=fields: b.post_form(url, f))

    results = at_once(*posts)

    assert sorted(r.status for r in results) == [200, 302]
    loser = next(r for r in results if r.status == 200)
    assert "Someone else changed this case" in loser.text
    assert "Traceback" not in loser.text


def test_two_agents_resolving_the_same_case_at_once_on_sqlite(sqlite_stack):
    live = sqlite_stack
    case_id = live.seeded["cases"][7]
    change = f"/admin/cases/case/{case_id}/change/"
    act = f"/admin/cases/case/{case_id}/act/resolved/"
    agents = []
    for email in live.seeded["agents"]:
        browser = loadtest.Browser(live.server.port)
        page = browser.get("/admin/login/")
        token = form_fields(page)["csrfmiddlewaretoken"]
        browser.post_form(
            "/admin/login/",
            {"username": email, "password": loadtest.PASSWORD, "csrfmiddlewaretoken": token},
        )
        agents.append((browser, form_fields(browser.get(change))["csrfmiddlewaretoken"]))

    results = at_once(
        *[lambda b=b, t=t: b.post_form(act, {"csrfmiddlewaretoken": t}) for b, t in agents]
    )

    assert [r.status for r in results] == [302, 302]
    pages = [browser.get(change).text for browser, _token in agents]
    assert sum("1 case: Resolve" in page for page in pages) == 1
    assert sum("is not possible from that state" in page for page in pages) == 1
