"""Benchmark the case log page and the CSV export at 100,000 cases.

Run from the project root:

    .venv/bin/python benchmarks/bench_log.py                  # SQLite, 100,000 cases
    .venv/bin/python benchmarks/bench_log.py --cases 2000 --repeat 1   # smoke run
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_caselog \\
        .venv/bin/python benchmarks/bench_log.py              # PostgreSQL

The benchmark uses its own database: by default the SQLite file
benchmarks/.data/bench.sqlite3 (or --db PATH|URL), or the database in
DATABASE_URL. It migrates that database and writes one seller account,
"Bench Shop", with two users and --cases cases. A later run reuses the seed
when the account already holds the right number of cases.

Everything goes through the real views with django.test.Client, in process:
the figures are server time (middleware, view, queries, template) without any
network or WSGI server. See benchmarks/README.md for the figures.

`main(argv)` returns the results as a dict, so a test can run a smoke benchmark
inside an already configured Django (pytest): then the current database
connection is used as is (no migrate) and no results file is written unless
--out is given.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import random
import statistics
import sys
import threading
import time
import tracemalloc
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DEFAULT_DB = BENCH_DIR / ".data" / "bench.sqlite3"
RESULTS_DIR = BENCH_DIR / "results"

ACCOUNT_NAME = "Bench Shop"
SELLER_EMAIL = "bench-seller@bench.example"
COLLEAGUE_EMAIL = "bench-colleague@bench.example"
SEED = 20261127
BATCH_SIZE = 5000
RESEED_AFTER = dt.timedelta(days=7)  # ages are relative to "now": refresh a stale seed

# The log requests measured: (label, URL).
PAGES = [
    ("log, first page", "/cases/"),
    ("log, page 1000", "/cases/?page=1000"),
    ("log, sorted by description", "/cases/?o=description"),
    ("log, search 'refund'", "/cases/?q=refund"),
    ("log, state=resolved", "/cases/?state=resolved"),
]
# Any active filter includes expired cases: this view is every case of the account.
EXPORT_URL = "/cases/export.csv?created_from=2000-01-01"
BASELINE_SQL = (
    "SELECT id, created_at, state, primary_email, short_description FROM cases_case "
    "WHERE account_id = %s ORDER BY created_at DESC, id DESC"
)
SLOW_QUERY_MS = 25.0


# --- Setup ------------------------------------------------------------------


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases to seed (100000)")
    parser.add_argument(
        "--repeat", type=int, default=7, help="timed runs per measure, after 1 warm-up (7)"
    )
    parser.add_argument(
        "--db",
        help=f"SQLite file (or a database URL) to use instead of {DEFAULT_DB.relative_to(ROOT)}"
        " / DATABASE_URL",
    )
    parser.add_argument(
        "--out",
        help="write the Markdown report here (default: benchmarks/results/latest-<vendor>.md)",
    )
    parser.add_argument("--no-write", action="store_true", help="do not write a report file")
    parser.add_argument(
        "--explain",
        action="store_true",
        help=f"print the query plan of every query slower than {SLOW_QUERY_MS:.0f} ms",
    )
    args = parser.parse_args(argv)
    if args.cases < 1 or args.repeat < 1:
        parser.error("--cases and --repeat must be at least 1")
    return args


def _setup_django(args: argparse.Namespace) -> bool:
    """Configure and start Django once. Returns True when Django was already running."""
    from django.apps import apps

    if apps.ready:
        return True
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "caselog.settings"
    # Development defaults (no secret needed); DEBUG is switched off for the
    # measures so the query log does not grow in memory.
    os.environ["DJANGO_DEBUG"] = "1"
    if args.db:
        url = args.db if "://" in args.db else f"sqlite:///{Path(args.db).resolve()}"
        os.environ["DATABASE_URL"] = url
    elif not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{DEFAULT_DB}"
    if os.environ["DATABASE_URL"].startswith("sqlite:"):
        path = os.environ["DATABASE_URL"].removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)

    import django

    django.setup()
    return False


def _migrate() -> None:
    from django.core.management import call_command
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite" and name == "test":
        raise SystemExit("Refusing to benchmark in the database named 'test'.")
    if connection.vendor != "sqlite":
        print(
            f"Using {connection.vendor} database {name!r}: it is migrated and the account "
            f"{ACCOUNT_NAME!r} in it is (re)written."
        )
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"migrate: {time.perf_counter() - started:.1f} s")


# --- Seed -------------------------------------------------------------------

_SUBJECTS = [
    "Refund not received for order {n}",
    "Refund request rejected, order {n}",
    "Listing {n} suppressed for missing images",
    "Payment on hold since {d}",
    "Question about fees on invoice {n}",
    "Inventory sync error on SKU {n}",
    "Buyer claims item not delivered ({n})",
    "Account health warning: late shipment rate",
    "Brand registry: trademark {n} pending",
    "Shipping template not applied to {n} offers",
    "Taxe TVA facturée deux fois – commande {n}",
    "Catégorie refusée pour l’offre {n}",
    "Return label generation fails for order {n}",
    "-20% promotion not shown on listing {n}",
    "=SUM(A1) appears in my report header",
    "Duplicate ASIN merge request {n}",
]
_OTHER_EMAILS = ["ops@bench.example", "accounting@bench.example", "warehouse@bench.example"]
_ACTIVE_STATES = [
    "open",
    "pending_support",
    "needs_attention",
    "answered",
    "transferred",
    "reopened",
]


def _seed_users():
    from django.contrib.auth import get_user_model

    from cases.models import Membership, SellerAccount

    user_model = get_user_model()
    account, _ = SellerAccount.objects.get_or_create(name=ACCOUNT_NAME)
    users = []
    for email in (SELLER_EMAIL, COLLEAGUE_EMAIL):
        user = user_model.objects.filter(email=email).first()
        if user is None:
            user = user_model.objects.create_user(email=email, password=None)
        Membership.objects.get_or_create(account=account, user=user)
        users.append(user)
    return account, users


def _build_cases(account: Any, count: int, taken: set[int], now: dt.datetime) -> Iterator[Any]:
    """`count` unsaved cases, the same for a given seed and `now`."""
    from cases.models import CASE_ID_MAX, CASE_ID_MIN, Case

    rng = random.Random(SEED)
    ids: set[int] = set()
    while len(ids) < count:
        candidate = rng.randint(CASE_ID_MIN, CASE_ID_MAX)
        if candidate not in taken:
            ids.add(candidate)
    emails = [SELLER_EMAIL] * 5 + [COLLEAGUE_EMAIL] * 3 + _OTHER_EMAILS
    ordered = sorted(ids)
    rng.shuffle(ordered)  # ids are random, not growing with the creation date
    for case_id in ordered:
        age = dt.timedelta(seconds=rng.randint(0, 3 * 365 * 86400))  # up to 3 years old
        created_at = now - age
        description = rng.choice(_SUBJECTS).format(
            n=rng.randint(100, 999_999), d=created_at.date().isoformat()
        )
        resolved_at = None
        if rng.random() < 0.5:
            state = "resolved"
            # Resolved within 3 weeks of opening: most are long past the expiry.
            resolved_at = min(now, created_at + dt.timedelta(hours=rng.randint(1, 21 * 24)))
        else:
            state = rng.choice(_ACTIVE_STATES)
        yield Case(
            id=case_id,
            account=account,
            created_at=created_at,
            state=state,
            primary_email=rng.choice(emails),
            cc_list=[],
            short_description=description[:200],
            last_activity_at=resolved_at or created_at,
            resolved_at=resolved_at,
        )


def seed(count: int) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.utils import timezone

    from cases.models import Case, SellerAccount

    started = time.perf_counter()
    with transaction.atomic():
        account, users = _seed_users()
        existing = Case.objects.filter(account=account).count()
        fresh = timezone.now() - account.created_at < RESEED_AFTER
        if existing == count and fresh:
            print(f"seed: reusing {existing:,} cases of {ACCOUNT_NAME!r}")
            return {"reused": True, "seconds": 0.0, "account": account, "users": users}
        if existing:
            print(f"seed: deleting {existing:,} cases of {ACCOUNT_NAME!r}")
            Case.objects.filter(account=account).delete()
        now = timezone.now()
        SellerAccount.objects.filter(pk=account.pk).update(created_at=now)
        taken = set(Case.objects.values_list("id", flat=True))
        batch: list[Any] = []
        for case in _build_cases(account, count, taken, now):
            batch.append(case)
            if len(batch) >= BATCH_SIZE:
                Case.objects.bulk_create(batch)
                batch = []
        if batch:
            Case.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Autovacuum would do this soon after a bulk load in production.
            cursor.execute("ANALYZE cases_case")
        elif connection.vendor == "sqlite" and not connection.in_atomic_block:
            # Move the load out of the WAL file, so a first run after seeding reads
            # the database like a later one. (No ANALYZE: Django never runs it.)
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    seconds = time.perf_counter() - started
    print(f"seed: {count:,} cases in {seconds:.1f} s")
    return {"reused": False, "seconds": seconds, "account": account, "users": users}


# --- Measuring ----------------------------------------------------------------


class RssSampler:
    """Samples this process's resident memory every `interval` s; reports the peak growth.

    Two figures: all resident memory, and its anonymous part (heap: Python objects,
    the database driver's buffers). File-backed pages (SQLite's memory-mapped
    database file) count in the first but are not memory the export holds.
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.page_size = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        self.baseline = self.peak = (0, 0)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample(self) -> tuple[int, int]:
        """(resident, anonymous resident) in bytes."""
        try:
            with open("/proc/self/statm", "rb") as statm:
                fields = statm.read().split()
        except OSError:  # not Linux: peak RSS only, growth will read as 0
            import resource

            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            return peak, peak
        resident, shared = int(fields[1]), int(fields[2])
        return resident * self.page_size, (resident - shared) * self.page_size

    def _update(self) -> None:
        total, anon = self.sample()
        self.peak = (max(self.peak[0], total), max(self.peak[1], anon))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._update()

    def __enter__(self) -> RssSampler:
        self.baseline = self.peak = self.sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._update()
        self._stop.set()
        if self._thread:
            self._thread.join()

    @property
    def growth_mb(self) -> float:
        return (self.peak[0] - self.baseline[0]) / 2**20

    @property
    def anon_growth_mb(self) -> float:
        return (self.peak[1] - self.baseline[1]) / 2**20


class QueryTimer:
    """An execute wrapper that times each query (the debug cursor rounds to 1 ms)."""

    def __init__(self) -> None:
        self.ms: list[float] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms.append((time.perf_counter() - started) * 1000)


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
    }


def _timed(func: Callable[[], Any], repeat: int) -> tuple[list[float], list[Any]]:
    func()  # warm-up
    times, results = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        results.append(func())
        times.append(time.perf_counter() - started)
    return times, results


def _explain(sql: str) -> str:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        depth: dict[int, int] = {0: -1}
        lines = []
        for node, parent, _, detail in rows:
            depth[node] = depth.get(parent, -1) + 1
            lines.append("  " * depth[node] + detail)
        return "\n".join(lines)
    return "\n".join(row[0] for row in rows)


def measure_pages(client: Any, repeat: int, explain: bool) -> list[dict[str, Any]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    results = []
    for label, url in PAGES:
        # Queries are counted on a separate, untimed request: the debug cursor
        # that records them would add to the time.
        timer = QueryTimer()
        with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(timer):
            response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} returned {response.status_code}")
        sqls = [q["sql"] for q in queries.captured_queries]
        captured = list(zip(timer.ms, sqls, strict=True))
        slowest_ms, slowest_sql = max(captured) if captured else (0.0, "")

        def get(url: str = url) -> int:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return len(response.content)

        times, sizes = _timed(get, repeat)
        row = {
            "label": label,
            "url": url,
            **{f"{k}_ms": v * 1000 for k, v in _stats(times).items()},
            "queries": len(captured),
            "query_ms": sum(ms for ms, _ in captured),
            "slowest_query_ms": slowest_ms,
            "slowest_query": slowest_sql,
            "bytes": sizes[0],
        }
        slow = [(ms, sql) for ms, sql in captured if ms >= SLOW_QUERY_MS]
        row["slow_queries"] = [
            {"ms": ms, "sql": sql, "plan": _explain(sql) if explain else None} for ms, sql in slow
        ]
        results.append(row)
        print(
            f"  {label:<28} median {row['median_ms']:7.1f} ms  "
            f"(min {row['min_ms']:.1f}, max {row['max_ms']:.1f})  {row['queries']} queries"
        )
    return results


def _consume_export(client: Any, url: str) -> tuple[int, int]:
    """Stream the export; returns (data rows, bytes)."""
    response = client.get(url)
    if response.status_code != 200 or not response.streaming:
        raise RuntimeError(f"GET {url} returned {response.status_code}, not a streamed file")
    lines = size = 0
    # The test client closes the response (as a WSGI server would) once the
    # content is consumed; closing it a second time would close the database
    # connection too.
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        size += len(chunk)
    return lines - 1, size  # minus the header


def measure_export(client: Any, repeat: int, expected_rows: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries, RssSampler() as first:
        rows, size = _consume_export(client, EXPORT_URL)  # also the warm-up
    query_count = len(queries.captured_queries)  # read now: the next request resets the log
    if rows != expected_rows:
        raise RuntimeError(f"the export has {rows} rows, expected {expected_rows}")
    times, growths, anon_growths = [], [], []
    for _ in range(repeat):
        with RssSampler() as rss:
            started = time.perf_counter()
            _consume_export(client, EXPORT_URL)
            times.append(time.perf_counter() - started)
        growths.append(rss.growth_mb)
        anon_growths.append(rss.anon_growth_mb)
    stats = _stats(times)
    # Python allocations (untimed: tracemalloc slows everything down).
    tracemalloc.start()
    _consume_export(client, EXPORT_URL)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "url": EXPORT_URL,
        "rows": rows,
        "bytes": size,
        "queries": query_count,
        **{f"{k}_s": v for k, v in stats.items()},
        "rows_per_s": rows / stats["median"],
        "first_rss_growth_mb": first.growth_mb,
        "first_anon_rss_growth_mb": first.anon_growth_mb,
        "rss_growth_mb": max(growths),
        "anon_rss_growth_mb": max(anon_growths),
        "rss_growth_runs_mb": growths,
        "anon_rss_growth_runs_mb": anon_growths,
        "traced_peak_mb": traced_peak,
    }


def measure_small_export(client: Any, account: Any, total: int) -> dict[str, Any]:
    """Python peak for an export of ~1/10 of the rows: streamed means about the same peak."""
    from cases.models import Case

    newest = (
        Case.objects.filter(account=account)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[max(0, total // 10 - 1)]
    )
    day = newest.astimezone(dt.UTC).date() + dt.timedelta(days=1)
    url = f"/cases/export.csv?created_from={day.isoformat()}"
    _consume_export(client, url)
    tracemalloc.start()
    rows, _ = _consume_export(client, url)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {"url": url, "rows": rows, "traced_peak_mb": traced_peak}


class _Discard:
    def write(self, value: str) -> int:
        return len(value)


def measure_baseline(account_id: int, repeat: int) -> dict[str, Any]:
    """A raw cursor and csv.writer into a sink that discards: the floor for the export."""
    from django.db import connection

    def run() -> int:
        writer = csv.writer(_Discard())
        count = 0
        with connection.cursor() as cursor:
            cursor.execute(BASELINE_SQL, [account_id])
            while rows := cursor.fetchmany(2000):
                writer.writerows(rows)
                count += len(rows)
        return count

    times, counts = _timed(run, repeat)
    stats = _stats(times)
    return {
        "sql": BASELINE_SQL,
        "rows": counts[0],
        **{f"{k}_s": v for k, v in stats.items()},
        "rows_per_s": counts[0] / stats["median"],
    }


# --- Report -------------------------------------------------------------------


def _machine() -> dict[str, Any]:
    import django
    from django.db import connection

    vendor = connection.vendor
    if vendor == "sqlite":
        import sqlite3

        db_version = f"SQLite {sqlite3.sqlite_version}"
    else:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            db_version = f"PostgreSQL {cursor.fetchone()[0]}"
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "platform": f"{platform.system()} {platform.machine()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "vendor": vendor,
        "db": db_version,
        "db_name": _display_name(str(connection.settings_dict["NAME"])),
    }


def _display_name(name: str) -> str:
    try:
        return str(Path(name).resolve().relative_to(ROOT))
    except ValueError:
        return name


def render(results: dict[str, Any]) -> str:
    m, e, b = results["machine"], results["export"], results["baseline"]
    views = results["views"]
    lines = [
        f"# caselog benchmark — {m['db']}",
        "",
        f"- date: {m['date']}",
        f"- machine: {m['nproc']} cores, {m['platform']}, Python {m['python']}, "
        f"Django {m['django']}",
        f"- database: {m['db']} (`{m['db_name']}`)",
        f"- data: {results['cases']:,} cases in one account; default view "
        f"{views['default']:,} cases, {views['expired']:,} expired, "
        f"{views['refund']:,} match 'refund', {views['resolved']:,} resolved",
        f"- {results['repeat']} timed runs after 1 warm-up; server time in process "
        "(django.test.Client)",
        "- seed: "
        + (
            "reused from an earlier run"
            if results["seed"]["reused"]
            else f"{results['cases']:,} cases written in {results['seed']['seconds']:.1f} s"
        ),
        "",
        "| Request | median ms | min ms | max ms | queries | SQL ms | slowest query ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for p in results["pages"]:
        lines.append(
            f"| `GET {p['url']}` | {p['median_ms']:.1f} | {p['min_ms']:.1f} | "
            f"{p['max_ms']:.1f} | {p['queries']} | {p['query_ms']:.1f} | "
            f"{p['slowest_query_ms']:.1f} |"
        )
    lines += [
        "",
        "| Export | rows | median s | min s | max s | rows/s | peak RSS growth MB,"
        " anon / all: first run; later runs | Python peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| `GET {e['url']}` ({e['bytes'] / 2**20:.1f} MB, {e['queries']} queries) | "
        f"{e['rows']:,} | {e['median_s']:.2f} | {e['min_s']:.2f} | {e['max_s']:.2f} | "
        f"{e['rows_per_s']:,.0f} | {e['first_anon_rss_growth_mb']:.1f} / "
        f"{e['first_rss_growth_mb']:.1f}; {e['anon_rss_growth_mb']:.1f} / "
        f"{e['rss_growth_mb']:.1f} | "
        f"{e['traced_peak_mb']:.1f} |",
        f"| raw cursor + csv.writer baseline | {b['rows']:,} | {b['median_s']:.2f} | "
        f"{b['min_s']:.2f} | {b['max_s']:.2f} | {b['rows_per_s']:,.0f} | | |",
        "",
        f"Export throughput, ours / baseline: **{results['ratio']:.2f}** "
        f"(the export takes {1 / results['ratio']:.1f}× the baseline's time).",
    ]
    small = results.get("small_export")
    if small:
        lines.append(
            f"Python peak for an export of {small['rows']:,} rows: "
            f"{small['traced_peak_mb']:.1f} MB (vs {e['traced_peak_mb']:.1f} MB for "
            f"{e['rows']:,} rows)."
        )
    slow = [(p["label"], q) for p in results["pages"] for q in p["slow_queries"]]
    if slow:
        lines += ["", f"## Queries slower than {SLOW_QUERY_MS:.0f} ms (warm-up request)", ""]
        for label, q in slow:
            lines += [f"- {label}: {q['ms']:.1f} ms", "", "```sql", q["sql"], "```"]
            if q["plan"]:
                lines += ["", "```", q["plan"], "```"]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --- Main ---------------------------------------------------------------------


def _view_sizes(user: Any) -> dict[str, int]:
    from django.http import QueryDict

    from cases.selectors import case_log

    def size(query: str) -> int:
        return case_log(user=user, params=QueryDict(query)).queryset.count()

    default, every = size(""), size("created_from=2000-01-01")
    return {
        "default": default,
        "all": every,
        "expired": every - default,
        "refund": size("q=refund"),
        "resolved": size("state=resolved"),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _parse_args(argv)
    # STATIC_ROOT is only filled by collectstatic; whitenoise warns about it.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    embedded = _setup_django(args)

    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    if not embedded:
        _migrate()
    seeded = seed(args.cases)
    account, users = seeded["account"], seeded["users"]

    # DEBUG off: the query log would grow in memory and slow every query. The
    # client names a host that ALLOWED_HOSTS accepts outside the test runner.
    with override_settings(DEBUG=False):
        client = Client(SERVER_NAME="localhost")
        client.force_login(users[0])
        views = _view_sizes(users[0])
        print(f"views: {views}")
        print(f"log page ({args.repeat} runs after 1 warm-up):")
        pages = measure_pages(client, args.repeat, args.explain)
        print("export:")
        export = measure_export(client, args.repeat, views["all"])
        print(
            f"  {export['rows']:,} rows in {export['median_s']:.2f} s "
            f"({export['rows_per_s']:,.0f} rows/s), RSS growth first run "
            f"{export['first_rss_growth_mb']:.1f} MB "
            f"(anon {export['first_anon_rss_growth_mb']:.1f}),"
            f" later {export['rss_growth_mb']:.1f} MB (anon {export['anon_rss_growth_mb']:.1f}),"
            " Python peak"
            f" {export['traced_peak_mb']:.1f} MB"
        )
        small = measure_small_export(client, account, views["all"])
        baseline = measure_baseline(account.pk, args.repeat)
        if baseline["rows"] != export["rows"]:
            raise RuntimeError(f"baseline read {baseline['rows']} rows, export {export['rows']}")
        print(
            f"  baseline: {baseline['rows']:,} rows in {baseline['median_s']:.2f} s "
            f"({baseline['rows_per_s']:,.0f} rows/s)"
        )

    results: dict[str, Any] = {
        "machine": _machine(),
        "cases": args.cases,
        "repeat": args.repeat,
        "seed": {"reused": seeded["reused"], "seconds": seeded["seconds"]},
        "views": views,
        "pages": pages,
        "export": export,
        "small_export": small,
        "baseline": baseline,
        "ratio": export["rows_per_s"] / baseline["rows_per_s"],
    }
    report = render(results)
    print()
    print(report)
    out = None
    if args.out:
        out = Path(args.out)
    elif not args.no_write and not embedded:
        out = RESULTS_DIR / f"latest-{connection.vendor}.md"
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_text(report, encoding="utf-8")
        tmp.replace(out)
        print(f"written: {out}")
    results["report_path"] = str(out) if out else None
    return results


if __name__ == "__main__":
    main()
