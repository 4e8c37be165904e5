"""Compare two revisions of caselog on this machine, on the same seeded database.

The benchmark's figures in milliseconds depend on the machine: the shared hosts
we run on have differed threefold between days (the raw `csv.writer` baseline
read 232,588 rows/s on 2026-11-28 and 78,075 on 2026-12-01). "Within 10% of the
figures of day X" is answered here by measuring the code of day X beside the
current code, on the same machine, in alternating rounds so that a slow spell
falls on both.

    .venv/bin/python benchmarks/compare_revisions.py --base 1922c1d
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_caselog \\
        .venv/bin/python benchmarks/compare_revisions.py --base 1922c1d

The database is `bench_log.py`'s (seed it first: `make bench` or
`bench_log.py --only log`). The base revision is checked out in a temporary git
worktree and runs against that database as it is: this works while the schema
changes since the base are additions (new columns with defaults, new indexes),
which the base's queries do not name. Each round runs one process per revision:
the log's default view and a sort, the case page of 300 messages and 900 files,
and the seller's export of 100,000 cases, as the bench seller, `DEBUG` off, in
process (`django.test.Client`). The report gives, per measure, the median of
the rounds' medians and the best round, and current ÷ base.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DEFAULT_DB = BENCH_DIR / ".data" / "bench.sqlite3"
SELLER_EMAIL = "bench-seller@bench.example"  # bench_seed.SELLER_EMAIL, in every revision


PARTS = ("log", "case", "export")


def probe(
    requests: int, parts: frozenset[str] = frozenset(PARTS), clock: str = "wall"
) -> dict[str, list[float]]:
    """Run inside a revision's tree (the working directory): its Django, the bench
    database. Returns, per measure of `parts`, the timings of `requests` runs in ms
    (the export: rows per second)."""
    sys.path.insert(0, os.getcwd())
    os.environ["DJANGO_SETTINGS_MODULE"] = "caselog.settings"
    os.environ["DJANGO_DEBUG"] = "1"  # development defaults; DEBUG is switched off below
    os.environ["EMAIL_URL"] = "locmem://"
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="compare-media-")
    import warnings

    warnings.filterwarnings("ignore")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import override_settings

    from correspondence.models import Message

    page_case = (
        Message.objects.values("case_id").annotate(n=Count("id")).order_by("-n")[0]["case_id"]
    )
    pages = [
        ("log", "log, default view", "/cases/"),
        ("log", "log, sorted by e-mail", "/cases/?o=email"),
        ("case", "case page, 300 messages, 900 files", f"/cases/{page_case}/"),
    ]
    export_url = "/cases/export.csv?created_from=2000-01-01"
    results: dict[str, list[float]] = {}
    with override_settings(DEBUG=False):
        client = Client(SERVER_NAME="localhost")
        client.force_login(get_user_model().objects.get(email=SELLER_EMAIL))
        for part, label, url in pages:
            if part not in parts:
                continue
            for _ in range(2):
                assert client.get(url).status_code == 200, url
            timings = []
            now = time.process_time if clock == "cpu" else time.perf_counter
            for _ in range(requests):
                started = now()
                client.get(url)
                timings.append((now() - started) * 1000)
            results[label] = timings
        rates = []
        for _ in range(max(2, requests // 5) if "export" in parts else 0):
            started = time.perf_counter()
            body = b"".join(client.get(export_url).streaming_content)
            rates.append((body.count(b"\n") - 1) / (time.perf_counter() - started))
        if rates:
            results["export, 100,000 rows (rows/s)"] = rates
    return results


def _worktree(revision: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix="caselog-base-"))
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--force", str(path), revision],
        check=True,
        capture_output=True,
    )
    return path


def _run_probe(
    tree: Path, requests: int, database_url: str, parts: frozenset[str], clock: str
) -> dict[str, list[float]]:
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--probe",
            str(requests),
            "--only",
            ",".join(sorted(parts)),
            "--clock",
            clock,
        ],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(
    base: str,
    rounds: int,
    requests: int,
    database_url: str,
    parts: frozenset[str],
    clock: str = "wall",
) -> str:
    tree = _worktree(base)
    try:
        runs: dict[str, list[dict[str, list[float]]]] = {"base": [], "current": []}
        for number in range(1, rounds + 1):
            for name, where in (("base", tree), ("current", ROOT)):
                runs[name].append(_run_probe(where, requests, database_url, parts, clock))
            print(f"round {number}/{rounds} done", file=sys.stderr)
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
            check=False,
            capture_output=True,
        )
    return _report(base, runs, database_url, clock)


def _summary(rounds: list[dict[str, list[float]]], label: str) -> tuple[float, float]:
    """(median of the rounds' medians, best round's median)."""
    medians = [statistics.median(run[label]) for run in rounds]
    best = max(medians) if label.endswith("(rows/s)") else min(medians)
    return statistics.median(medians), best


def _report(base: str, runs: dict[str, Any], database_url: str, clock: str = "wall") -> str:
    vendor = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    lines = [
        f"## {vendor}: current code beside {base}, same machine, same database",
        "",
        f"{len(runs['base'])} alternating rounds; per round the median of its runs. "
        f"ms ({'CPU time of the process' if clock == 'cpu' else 'elapsed'}; export: rows/s); "
        "lower is better, except for the export.",
        "",
        "| Measure | base median | current median | current ÷ base | base best | current best |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label in runs["base"][0]:
        base_median, base_best = _summary(runs["base"], label)
        current_median, current_best = _summary(runs["current"], label)
        number = "{:,.0f}" if label.endswith("(rows/s)") else "{:.1f}"
        lines.append(
            f"| {label} | {number.format(base_median)} | {number.format(current_median)} | "
            f"{current_median / base_median:.2f} | {number.format(base_best)} | "
            f"{number.format(current_best)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", help="the revision to compare with (a commit or tag)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds (4)")
    parser.add_argument("--requests", type=int, default=10, help="requests per page per round")
    parser.add_argument("--only", help=f"comma-separated measures, of: {', '.join(PARTS)} (all)")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="page times: elapsed (wall, the default) or this process's CPU time (cpu: steadier"
        " on a busy shared machine; on PostgreSQL it leaves out the server's time)",
    )
    parser.add_argument("--probe", type=int, metavar="N", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    parts = frozenset(p.strip() for p in args.only.split(",")) if args.only else frozenset(PARTS)
    if parts - set(PARTS):
        parser.error(f"unknown measures: {', '.join(sorted(parts - set(PARTS)))}")
    if args.probe:
        print(json.dumps(probe(args.probe, parts, args.clock)))
        return
    if not args.base:
        parser.error("--base is required")
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_DB}"
    print(compare(args.base, args.rounds, args.requests, database_url, parts, args.clock))


if __name__ == "__main__":
    main()
