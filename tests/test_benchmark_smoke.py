"""The benchmark runs end to end on a small data set, so it cannot rot (no timing asserted)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str):
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    spec = importlib.util.spec_from_file_location(name, BENCH_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db(transaction=True)
def test_benchmark_smoke_run(tmp_path):
    bench = _load("bench_log")
    argv = ["--cases", "2000", "--accounts", "5", "--big", "1000", "--repeat", "1"]
    results = bench.main([*argv, "--reply-mb", "1", "--out", str(tmp_path / "r.md")])
    report = (tmp_path / "r.md").read_text()
    assert report.count("|") > 100
    queries = {p["label"]: p["queries"] for p in results["pages"]}
    assert queries["page 1, per_page 25"] == queries["page 1, per_page 100"]
    assert results["views"]["all"] == 1000
    assert [label for label, _, _ in results["exports"]] == [
        "seller, large account",
        "support agent, every case",
    ]
    assert results["exports"][1][1]["rows"] == 2000
    assert results["case_page"]["files"] == 900
    assert results["reply"]["files"] == 3
    assert len(results["plans"]) == 24  # 6 sorts, both ways, pages 1 and 2,000
    # Every sort, urgency and last activity included, comes out of an index.
    assert [p for p in results["plans"] if p["temp_sort"]] == []
    assert results["admin"]
    # The agent's requests, each with its target, beside the baselines of the run.
    agent = results["agent"]
    assert [row["target"] for row in agent["rows"]] == [
        *["agent_list_ms"] * 5,
        "overview_ms",
        "case_ms",
    ]
    assert agent["rows"][-1]["label"] == "case page, 300 messages, 900 files"
    assert all(row["queries"] > 0 for row in agent["rows"])
    assert [b["source"] for b in agent["baselines"]] == [
        "measured in the same loop",
        "the log part",  # the seller's log default view, not measured twice
    ]
    assert agent["refresh"]["queries"] > 0
    # The queue, its state filter and "assigned to me" come out of an index.
    assert [p["label"] for p in agent["plans"]] == [
        "queue (default order)",
        "state filter: open",
        "assigned to me",
    ]
    assert [p for p in agent["plans"] if p["temp_sort"]] == []
    assert "## Support agent" in report
    # The agent's data is prepared once: a second run changes nothing.
    from bench.agent_pages import assign_agent_cases
    from django.contrib.auth import get_user_model

    agent_user = get_user_model().objects.get(email=_load("bench_seed").AGENT_EMAIL)
    assert agent["assigned"] > 0
    assert assign_agent_cases(agent_user) == {"assigned": agent["assigned"], "changed": 0}
    # The peer comparison's caselog side runs on the same data and the same page measure.
    peer = _load("helpdesk_compare")
    assert peer.export_tickets(tmp_path / "tickets.json")["tickets"] == 1000
    ours = {row["label"]: row["queries"] for row in peer.measure_ours(1)}
    assert ours["log page"] == queries["default view"]


def test_the_search_benchmark_loads_on_the_shared_bench_package():
    assert callable(_load("bench_search").measure)


def test_account_sizes_put_the_big_account_first():
    seed = _load("bench_seed")
    assert seed.account_sizes(1_000_000, 50, 100_000)[:2] == [100_000, 18_368]
    assert sum(seed.account_sizes(1_000_000, 50, 100_000)) == 1_000_000
    assert seed.account_sizes(10, 1, 100) == [10]


def test_the_hello_view_is_only_in_the_benchmark_urls(client, db, settings):
    assert client.get("/bench-hello/").status_code in (302, 404)  # not a product route
    _load("serve_urls")
    settings.ROOT_URLCONF = "serve_urls"
    response = client.get("/bench-hello/")
    assert response.status_code == 200
    assert response.content == b"hello"


def test_a_missing_postgresql_benchmark_database_is_created():
    """`DATABASE_URL=postgres://…/bench_caselog make bench` on a server without it."""
    import os
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("needs a PostgreSQL server (DATABASE_URL=postgres://…)")
    psycopg = pytest.importorskip("psycopg")
    bench_database = _load("bench_database")
    name = f"bench_probe_{uuid.uuid4().hex[:12]}"
    target = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    try:
        assert bench_database.ensure_database(target) is True
        with psycopg.connect(target, connect_timeout=10) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == (name,)
        assert bench_database.ensure_database(target) is False  # already there: kept
    finally:
        admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("name", ["test", "postgres", "template1", ""])
def test_the_benchmark_refuses_shared_databases(name):
    bench_database = _load("bench_database")
    with pytest.raises(SystemExit):
        bench_database.ensure_database(f"postgres://postgres@127.0.0.1:5432/{name}")


def test_sqlite_urls_are_left_alone():
    assert _load("bench_database").ensure_database("sqlite:///tmp/x.sqlite3") is False
