"""Benchmark caselog at 1,000,000 cases: log, export, case page, reply, admin, agent, throughput.

Run from the project root (`make bench` runs the first line):

    .venv/bin/python benchmarks/bench_log.py                   # SQLite, 1,000,000 cases
    .venv/bin/python benchmarks/bench_log.py --cases 2000 --big 1000 --repeat 1  # smoke
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_caselog \\
        .venv/bin/python benchmarks/bench_log.py               # PostgreSQL

The benchmark uses its own database: the SQLite file benchmarks/.data/bench.sqlite3
(or --db PATH|URL), or the database in DATABASE_URL (never one named `test`).
It seeds it reproducibly (see bench_seed.py) and reuses the seed while it is
less than 7 days old. Measures go through the real URLs, middleware, views and
templates with django.test.Client, in process (server time); the throughput
part runs gunicorn on loopback. See benchmarks/README.md for the figures.

The measures live in the package `bench/`, a module per thing measured (see
bench/__init__.py); this file is the command line and the order of the parts.

`main(argv)` returns the results as a dict, so a test can run a smoke benchmark
inside an already configured Django (pytest): then the current database
connection is used as is (no migrate, no stamp, the database must be empty) and
no results file is written unless --out is given.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

# The measures, importable once BENCH_DIR is on the path.
from bench import report  # noqa: E402
from bench.admin_list import measure_admin  # noqa: E402
from bench.agent_pages import measure_agent  # noqa: E402
from bench.case_page import measure_case_page  # noqa: E402
from bench.export import measure_exports  # noqa: E402
from bench.log_pages import log_urls, measure_pages, view_sizes  # noqa: E402
from bench.plans import check_plans  # noqa: E402
from bench.reply import measure_reply  # noqa: E402
from bench.serve import measure_serve  # noqa: E402
from bench.setup import DATA_DIR, DEFAULT_DB, RESULTS_DIR, ROOT, prepare_data, setup_django  # noqa: E402

PARTS = ("log", "plans", "export", "case", "reply", "admin", "agent", "serve")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases in all (1000000)")
    parser.add_argument("--accounts", type=int, default=50, help="seller accounts (50)")
    parser.add_argument(
        "--big", type=int, default=100_000, help="cases of the measured account (100000)"
    )
    parser.add_argument(
        "--repeat", type=int, default=7, help="timed runs per measure, after 1 warm-up (7)"
    )
    parser.add_argument(
        "--db",
        help=f"SQLite file (or a database URL) instead of {DEFAULT_DB.relative_to(ROOT)}"
        " / DATABASE_URL",
    )
    parser.add_argument("--out", help="Markdown report (default: results/latest-<vendor>.md)")
    parser.add_argument("--no-write", action="store_true", help="do not write a report file")
    parser.add_argument("--explain", action="store_true", help="print plans of slow queries")
    parser.add_argument(
        "--only", help=f"comma-separated parts to run, of: {', '.join(PARTS)} (all)"
    )
    parser.add_argument("--serve-seconds", type=float, default=8.0, help="wrk duration per URL (8)")
    parser.add_argument(
        "--reply-mb", type=int, default=10, help="size of each of the 3 reply files, MB (10)"
    )
    parser.add_argument("--reseed", action="store_true", help="seed again even if reusable")
    args = parser.parse_args(argv)
    if args.cases < 1 or args.repeat < 1 or args.accounts < 1 or args.big < 1:
        parser.error("--cases, --accounts, --big and --repeat must be at least 1")
    args.parts = set(PARTS) if not args.only else {p.strip() for p in args.only.split(",")}
    unknown = args.parts - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _parse_args(argv)
    # STATIC_ROOT is only filled by collectstatic; whitenoise warns about it.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    embedded = setup_django(args.db)

    from django.db import connection
    from django.test.utils import override_settings

    people = prepare_data(args, embedded)
    parts = args.parts - {"serve"} if embedded else args.parts  # a test database may be in memory
    results: dict[str, Any] = {
        "cases": args.cases,
        "accounts": args.accounts,
        "big": min(args.big, args.cases),
        "repeat": args.repeat,
        "seed": {"reused": people["reused"], "seconds": people["seconds"]},
    }
    media = Path(tempfile.mkdtemp(prefix="bench-media-")) if embedded else DATA_DIR / "media"
    # DEBUG off: the query log would grow in memory and slow every query.
    try:
        with override_settings(DEBUG=False, MEDIA_ROOT=str(media)):
            results.update(_measure_in_process(args, people, parts))
        if "serve" in parts:
            print("throughput:")
            results["serve"] = measure_serve(people["seller"], args.serve_seconds)
    finally:
        if embedded:
            shutil.rmtree(media, ignore_errors=True)

    results["machine"] = report.machine()
    text = report.render(results)
    print()
    print(text)
    out = None
    if args.out:
        out = Path(args.out)
    elif not args.no_write and not embedded:
        out = RESULTS_DIR / f"latest-{connection.vendor}.md"
    if out is not None:
        report.write(text, out)
        print(f"written: {out}")
    results["report_path"] = str(out) if out else None
    return results


def _measure_in_process(
    args: argparse.Namespace, people: dict[str, Any], parts: set[str]
) -> dict[str, Any]:
    """Every part but the throughput, through django.test.Client: server time."""
    from django.test import Client

    # The clients name a host that ALLOWED_HOSTS accepts outside the test runner.
    client = Client(SERVER_NAME="localhost")
    client.force_login(people["seller"])
    agent_client = Client(SERVER_NAME="localhost")
    agent_client.force_login(people["agent"])
    results: dict[str, Any] = {"views": view_sizes(people["seller"])}
    print(f"views: {results['views']}")
    if "log" in parts:
        print(f"log page ({args.repeat} runs after 1 warm-up):")
        urls = log_urls(people["colleague"].email, people["page_case"])
        results["pages"] = measure_pages(client, urls, args.repeat, args.explain)
    if "plans" in parts:
        results["plans"] = check_plans(people["seller"])
    if "export" in parts:
        print("export:")
        results["exports"] = measure_exports(
            client,
            agent_client,
            account_id=people["accounts"][0].pk,
            account_rows=results["views"]["all"],
            all_rows=args.cases,
            repeat=args.repeat,
        )
    if "case" in parts:
        print("case page:")
        results["case_page"] = measure_case_page(client, people["page_case"], args.repeat)
        results["case_page_small"] = measure_case_page(client, people["reply_case"], args.repeat)
    if "reply" in parts:
        print("reply:")
        repeat = max(1, args.repeat // 2)
        results["reply"] = measure_reply(client, people["reply_case"], repeat, args.reply_mb)
    if "admin" in parts:
        print("admin:")
        results["admin"] = measure_admin(agent_client, min(args.repeat, 3), args.cases)
    if "agent" in parts:
        print(f"support agent ({args.repeat} runs after 1 warm-up):")
        results["agent"] = measure_agent(
            agent_client,
            client,
            people,
            repeat=args.repeat,
            total=args.cases,
            log_rows=results.get("pages"),
            explain_slow=args.explain,
        )
    return results


if __name__ == "__main__":
    main()
