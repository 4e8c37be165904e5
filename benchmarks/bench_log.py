"""Benchmark caselog at 1,000,000 cases: log, export, case page, reply, admin, throughput.

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

`main(argv)` returns the results as a dict, so a test can run a smoke benchmark
inside an already configured Django (pytest): then the current database
connection is used as is (no migrate, no stamp, the database must be empty) and
no results file is written unless --out is given.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / ".data"
DEFAULT_DB = DATA_DIR / "bench.sqlite3"
RESULTS_DIR = BENCH_DIR / "results"
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import bench_database  # noqa: E402 - the sibling modules, importable once BENCH_DIR is on the path
import bench_seed  # noqa: E402

SLOW_QUERY_MS = 25.0
PARTS = ("log", "plans", "export", "case", "reply", "admin", "serve")
SORTS = ["created", "id", "state", "email", "description", "activity"]
BASELINE_COLUMNS = "id, created_at, state, primary_email, short_description"


def log_urls(colleague: str, case_id: int) -> list[tuple[str, str]]:
    """(label, URL) of every log view measured."""
    urls = [("default view", "/cases/")]
    for sort in SORTS:
        urls += [(f"sort {sort}", f"/cases/?o={sort}"), (f"sort -{sort}", f"/cases/?o=-{sort}")]
    urls += [
        ("filter: needs attention", "/cases/?state=needs_attention"),
        (
            "filter: waiting on support",
            "/cases/?state=open&state=pending_support&state=reopened&state=transferred",
        ),
        ("filter: resolved", "/cases/?state=resolved"),
        ("filter: created in 2026", "/cases/?created_from=2026-01-01&created_to=2026-12-31"),
        ("filter: e-mail", f"/cases/?email={colleague}"),
        ("filter: mine", "/cases/?mine=1"),
        ("search 'refund'", "/cases/?q=refund"),
        ("search a case ID", f"/cases/?q={case_id}"),
        ("page 1, per_page 25", "/cases/?page=1&per_page=25"),
        ("page 1, per_page 100", "/cases/?page=1&per_page=100"),
        ("page 2000, per_page 25", "/cases/?page=2000&per_page=25"),
        ("page 2000, per_page 100 (= last)", "/cases/?page=2000&per_page=100"),
        ("page 2000, sort -description", "/cases/?page=2000&o=-description"),
    ]
    return urls


# --- Setup ------------------------------------------------------------------


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
    os.environ["MEDIA_ROOT"] = str(DATA_DIR / "media")
    os.environ["EMAIL_URL"] = "locmem://"  # the replies' notifications stay in memory
    if args.db:
        url = args.db if "://" in args.db else f"sqlite:///{Path(args.db).resolve()}"
        os.environ["DATABASE_URL"] = url
    elif not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{DEFAULT_DB}"
    url = os.environ["DATABASE_URL"]
    if url.startswith("sqlite:"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    elif url.rstrip("/").rsplit("/", 1)[-1].split("?")[0] == "test":
        raise SystemExit("Refusing to benchmark in the database named 'test'.")
    else:
        bench_database.ensure_database(url)

    import django

    django.setup()
    return False


def _migrate() -> None:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"migrate: {time.perf_counter() - started:.1f} s")


def _empty_database() -> None:
    """Drop every bench row: the database is the benchmark's own."""
    from django.db import connection

    if connection.vendor == "sqlite":
        path = Path(str(connection.settings_dict["NAME"]))
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE cases_case CASCADE")
    _migrate()


def prepare_data(args: argparse.Namespace, embedded: bool) -> dict[str, Any]:
    from django.db import connection

    expected = {
        "version": bench_seed.DATA_VERSION,
        "total": args.cases,
        "accounts": args.accounts,
        "big": args.big,
    }
    if embedded:
        return bench_seed.seed(total=args.cases, accounts=args.accounts, big=args.big)
    name = Path(str(connection.settings_dict["NAME"])).name
    bench_seed.STAMP["path"] = DATA_DIR / f"seed-{connection.vendor}-{name}.json"
    _migrate()
    found = None if args.reseed else bench_seed.find_existing(expected)
    if found:
        print(f"seed: reusing {args.cases:,} cases (stamp {bench_seed.STAMP['path'].name})")
        return found
    _empty_database()
    seeded = bench_seed.seed(total=args.cases, accounts=args.accounts, big=args.big)
    bench_seed.write_stamp(expected)
    return seeded


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


class _Discard:
    def write(self, value: str) -> int:
        return len(value)


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
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "",
    }


def _display_name(name: str) -> str:
    try:
        return str(Path(name).resolve().relative_to(ROOT))
    except ValueError:
        return name


def measure_pages(
    client: Any, urls: list[tuple[str, str]], repeat: int, explain: bool
) -> list[dict[str, Any]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    results = []
    for label, url in urls:
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
            f"  {label:<34} median {row['median_ms']:7.1f} ms  "
            f"(min {row['min_ms']:.1f}, max {row['max_ms']:.1f})  {row['queries']} queries"
        )
    return results


def _sorts_in_plan(plan: str, vendor: str) -> list[str]:
    """Lines of a plan that sort rows instead of reading them in index order."""
    if vendor == "sqlite":
        return [line.strip() for line in plan.splitlines() if "TEMP B-TREE" in line]
    return [
        line.strip()
        for line in plan.splitlines()
        if line.strip().startswith(("Sort", "->  Sort", "Incremental Sort", "->  Incremental Sort"))
    ]


def check_plans(user: Any, per_page: int = 25) -> list[dict[str, Any]]:
    """Plan of the page query of every sort, both ways, in the default view.

    Page 1 and page 2,000 (which reads its ids in a subquery, see cases.selectors).
    """
    from django.db import connection
    from django.http import QueryDict

    from cases.selectors import case_log

    rows = []
    for sort in [s for key in SORTS for s in (key, f"-{key}")]:
        log = case_log(user=user, params=QueryDict(f"o={sort}"))
        for number, queryset in (
            (1, log.queryset[:per_page]),
            (2000, log.queryset.values("pk")[per_page * 1999 : per_page * 2000]),
        ):
            sql, params = queryset.query.sql_with_params()
            with connection.cursor() as cursor:
                prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
                cursor.execute(prefix + sql, params)
                raw = cursor.fetchall()
            if connection.vendor == "sqlite":
                plan = "\n".join(str(r[-1]) for r in raw)
            else:
                plan = "\n".join(r[0] for r in raw)
            sorts = _sorts_in_plan(plan, connection.vendor)
            rows.append({"sort": sort, "page": number, "plan": plan, "temp_sort": sorts})
    bad = [f"{r['sort']} p{r['page']}" for r in rows if r["temp_sort"]]
    print(f"  plans: {len(rows)} checked, sorting in the database: {', '.join(bad) or 'none'}")
    return rows


def _consume_export(client: Any, url: str) -> tuple[int, int]:
    """Stream the export; returns (data rows, bytes)."""
    response = client.get(url)
    if response.status_code != 200 or not response.streaming:
        raise RuntimeError(
            f"GET {url} returned {response.status_code} ({response.get('Location')}), not a file"
        )
    lines = size = 0
    # The test client closes the response (as a WSGI server would) once the
    # content is consumed; closing it a second time would close the database
    # connection too.
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        size += len(chunk)
    return lines - 1, size  # minus the header


def measure_export(
    client: Any, url: str, repeat: int, expected_rows: int, *, trace: bool = True
) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries, RssSampler() as first:
        rows, size = _consume_export(client, url)  # also the warm-up
    query_count = len(queries.captured_queries)
    if rows != expected_rows:
        raise RuntimeError(f"the export has {rows} rows, expected {expected_rows}")
    times, growths, anon_growths = [], [], []
    for _ in range(repeat):
        with RssSampler() as rss:
            started = time.perf_counter()
            _consume_export(client, url)
            times.append(time.perf_counter() - started)
        growths.append(rss.growth_mb)
        anon_growths.append(rss.anon_growth_mb)
    stats = _stats(times)
    traced_peak = None
    if trace:  # Python allocations (untimed: tracemalloc slows everything down)
        tracemalloc.start()
        _consume_export(client, url)
        traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    result = {
        "url": url,
        "rows": rows,
        "bytes": size,
        "queries": query_count,
        **{f"{k}_s": v for k, v in stats.items()},
        "rows_per_s": rows / stats["median"],
        "first_rss_growth_mb": first.growth_mb,
        "first_anon_rss_growth_mb": first.anon_growth_mb,
        "rss_growth_mb": max(growths),
        "anon_rss_growth_mb": max(anon_growths),
        "traced_peak_mb": traced_peak,
    }
    print(
        f"  {url}: {rows:,} rows in {stats['median']:.2f} s ({result['rows_per_s']:,.0f} rows/s),"
        f" RSS growth {max(first.growth_mb, result['rss_growth_mb']):.1f} MB"
        f" (anon {max(first.anon_growth_mb, result['anon_rss_growth_mb']):.1f})"
    )
    return result


def measure_baseline(where: str, params: list[Any], repeat: int) -> dict[str, Any]:
    """A raw cursor and csv.writer into a sink that discards: the floor for the export."""
    from django.db import connection

    sql = f"SELECT {BASELINE_COLUMNS} FROM cases_case {where} ORDER BY created_at DESC, id DESC"

    def run() -> int:
        writer = csv.writer(_Discard())
        count = 0
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(2000):
                writer.writerows(rows)
                count += len(rows)
        return count

    times, counts = _timed(run, repeat)
    stats = _stats(times)
    result = {
        "sql": sql,
        "rows": counts[0],
        **{f"{k}_s": v for k, v in stats.items()},
        "rows_per_s": counts[0] / stats["median"],
    }
    print(
        f"  baseline: {counts[0]:,} rows in {stats['median']:.2f} s "
        f"({result['rows_per_s']:,.0f} rows/s)"
    )
    return result


def measure_case_page(client: Any, case_id: int, repeat: int) -> dict[str, Any]:
    [row] = measure_pages(client, [("case page", f"/cases/{case_id}/")], repeat, False)
    from correspondence.models import Attachment, Message

    row["messages"] = Message.objects.filter(case_id=case_id).count()
    row["files"] = Attachment.objects.filter(message__case_id=case_id).count()
    return row


def _multipart_file(path: Path, fields: dict[str, str], files: list[tuple[str, int]]) -> str:
    """Write a multipart/form-data body to `path` (so the client holds none of it)."""
    boundary = "BenchBoundary7MA4YWxkTrZu0gW"
    chunk = (b"%PDF-1.4\n" + b"0" * 1015) * 1024  # 1 MB of a file that starts like a PDF
    with path.open("wb") as body:
        for name, value in fields.items():
            body.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for filename, megabytes in files:
            body.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
                f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
            )
            # Just under the limit (CASELOG_MAX_ATTACHMENT_MB is in MiB).
            for _ in range(megabytes - 1):
                body.write(chunk)
            body.write(chunk[: len(chunk) - 4096])
            body.write(b"\r\n")
        body.write(f"--{boundary}--\r\n".encode())
    return boundary


def measure_reply(client: Any, case_id: int, repeat: int, megabytes: int) -> dict[str, Any]:
    """POST a reply with 3 files through the real view and WSGI handler.

    The request body is read from a file, as a WSGI server streams it from the
    socket: the memory measured is the server side's (upload handlers, form,
    service, storage).
    """
    import uuid

    from django.core.handlers.wsgi import WSGIHandler

    from correspondence.models import Attachment, Message

    handler = WSGIHandler()
    session = client.cookies["sessionid"].value
    csrf = "b" * 32
    times, growths, anon = [], [], []
    before = set(Message.objects.filter(case_id=case_id).values_list("pk", flat=True))
    with tempfile.TemporaryDirectory() as folder:
        for run in range(repeat + 1):
            body_path = Path(folder) / "body"
            boundary = _multipart_file(
                body_path,
                {"body": f"Bench reply {run}", "subject": "", "submission_id": str(uuid.uuid4())},
                [(f"statement-{n}.pdf", megabytes) for n in range(3)],
            )
            with body_path.open("rb") as stream:
                environ = {
                    "REQUEST_METHOD": "POST",
                    "PATH_INFO": f"/cases/{case_id}/reply/",
                    "SERVER_NAME": "localhost",
                    "SERVER_PORT": "80",
                    "SERVER_PROTOCOL": "HTTP/1.1",
                    "wsgi.url_scheme": "http",
                    "wsgi.input": stream,
                    "wsgi.errors": sys.stderr,
                    "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}",
                    "CONTENT_LENGTH": str(body_path.stat().st_size),
                    "HTTP_COOKIE": f"sessionid={session}; csrftoken={csrf}",
                    "HTTP_X_CSRFTOKEN": csrf,
                }
                statuses: list[str] = []
                with RssSampler() as rss:
                    started = time.perf_counter()

                    def start(status: str, _headers: Any, seen: list[str] = statuses) -> None:
                        seen.append(status)

                    response = handler(environ, start)
                    page = b"".join(response).decode("utf-8", "replace")
                    elapsed = time.perf_counter() - started
                if hasattr(response, "close"):
                    response.close()
            if not statuses or not statuses[0].startswith("302"):
                errors = re.findall(r'class="[^"]*invalid-feedback[^"]*"[^>]*>(.*?)<', page)
                raise RuntimeError(f"the reply returned {statuses}: {errors or page[:500]}")
            if run:  # the first is the warm-up
                times.append(elapsed)
                growths.append(rss.growth_mb)
                anon.append(rss.anon_growth_mb)
    # Leave the case as it was: the replies and their files go.
    added = Message.objects.filter(case_id=case_id).exclude(pk__in=before)
    stored = Attachment.objects.filter(message__in=added)
    sizes = [a.size for a in stored]
    for attachment in stored:
        attachment.file.delete(save=False)
    added.delete()
    stats = _stats(times)
    result = {
        "files": 3,
        "file_mb": megabytes,
        "stored_bytes": sum(sizes) // max(1, repeat + 1),
        **{f"{k}_ms": v * 1000 for k, v in stats.items()},
        "rss_growth_mb": max(growths),
        "anon_rss_growth_mb": max(anon),
    }
    print(
        f"  reply 3 x {megabytes} MB: median {result['median_ms']:.0f} ms, RSS growth "
        f"{result['rss_growth_mb']:.1f} MB (anon {result['anon_rss_growth_mb']:.1f})"
    )
    return result


def measure_admin(client: Any, repeat: int, total: int) -> list[dict[str, Any]]:
    """The admin case list at every case, with and without its date hierarchy."""
    from django.contrib import admin

    from cases.models import Case

    model_admin = admin.site._registry[Case]
    deep = max(1, min(100, total // model_admin.list_per_page))
    urls = [
        ("admin list", "/admin/cases/case/"),
        ("admin list, state=open", "/admin/cases/case/?state__exact=open"),
        (f"admin list, page {deep}", f"/admin/cases/case/?p={deep}"),
        ("admin search e-mail", "/admin/cases/case/?q=ops%40bench.example"),
    ]
    rows = measure_pages(client, urls, repeat, False)
    hierarchy = model_admin.date_hierarchy
    if hierarchy:
        model_admin.date_hierarchy = None
        try:
            [without] = measure_pages(
                client, [("admin list, no date_hierarchy", "/admin/cases/case/")], repeat, False
            )
        finally:
            model_admin.date_hierarchy = hierarchy
        rows.append(without)
    return rows


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _load(url: str, seconds: float, cookie: str | None) -> dict[str, Any]:
    """Requests/s against `url`: wrk (2 threads, 8 connections) or a Python fallback."""
    import re
    import subprocess

    wrk = shutil.which("wrk")
    if wrk:
        command = [wrk, "-t2", "-c8", f"-d{max(1, round(seconds))}s", "--latency"]
        if cookie:
            command += ["-H", f"Cookie: {cookie}"]
        output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
        bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
        p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", output)
        p50_ms = None
        if p50:
            p50_ms = float(p50.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p50.group(2)]
        return {
            "tool": "wrk -t2 -c8",
            "rps": rate,
            "errors": int(bad.group(1)) if bad else 0,
            "p50_ms": p50_ms,
        }
    # Fallback: 8 threads with keep-alive connections (slower than wrk).
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    stop = time.perf_counter() + seconds
    counts, errors = [0] * 8, [0] * 8

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port)
        headers = {"Cookie": cookie} if cookie else {}
        while time.perf_counter() < stop:
            conn.request(
                "GET", parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers
            )
            response = conn.getresponse()
            response.read()
            counts[index] += 1
            errors[index] += response.status != 200

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "tool": "python, 8 threads",
        "rps": sum(counts) / seconds,
        "errors": sum(errors),
        "p50_ms": None,
    }


def measure_serve(user: Any, seconds: float) -> dict[str, Any]:
    """gunicorn, 2 workers on loopback: the log page beside a bare hello view, same run."""
    import secrets
    import subprocess
    import urllib.request

    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    if "sqlite" in settings.DATABASES["default"]["ENGINE"] and str(
        settings.DATABASES["default"]["NAME"]
    ).startswith((":memory:", "file:memory")):
        raise RuntimeError("the throughput measure needs a database another process can open")
    key = secrets.token_urlsafe(50)
    with override_settings(SECRET_KEY=key):  # the server signs sessions with its own key
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        cookie = f"sessionid={client.cookies['sessionid'].value}"
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "serve_settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": key,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
        "PYTHONPATH": f"{BENCH_DIR}{os.pathsep}{ROOT}",
    }
    if not env["DATABASE_URL"]:
        db = settings.DATABASES["default"]
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [
            str(gunicorn),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "caselog.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.perf_counter() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/bench-hello/", timeout=1).read()  # noqa: S310
                break
            except OSError:
                if server.poll() is not None or time.perf_counter() > deadline:
                    raise RuntimeError(f"gunicorn did not start: {server.stderr.read()}") from None
                time.sleep(0.2)
        request = urllib.request.Request(f"{base}/cases/", headers={"Cookie": cookie})  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            if "/accounts/login" in response.url:
                raise RuntimeError("the log page did not load under gunicorn")
        hello = _load(f"{base}/bench-hello/", seconds, None)
        log = _load(f"{base}/cases/", seconds, cookie)
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = {"hello": hello, "log": log, "ratio": log["rps"] / hello["rps"], "seconds": seconds}
    print(
        f"  gunicorn x2: hello {hello['rps']:,.0f} req/s, log page {log['rps']:,.0f} req/s "
        f"({result['ratio']:.0%}), errors {hello['errors']}/{log['errors']}"
    )
    return result


# --- Report -------------------------------------------------------------------

TARGETS = {
    "log_ms": 25.0,
    "log_queries": 5,
    "export_rows_s": 150_000,
    "export_ratio": 0.5,
    "export_rss_mb": 20.0,
    "case_ms": 60.0,
    "reply_rss_mb": 10.0,
    "serve_ratio": 0.10,
    "admin_ms": 200.0,
}


def _ok(value: float | None, limit: float, *, at_least: bool = False) -> str:
    if value is None:
        return ""
    good = value >= limit if at_least else value <= limit
    return "" if good else " ✗"


def _page_table(rows: list[dict[str, Any]], limit_ms: float) -> list[str]:
    lines = [
        "| Request | median ms | min ms | max ms | queries | SQL ms | slowest query ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for p in rows:
        lines.append(
            f"| {p['label']}: `{p['url']}` | {p['median_ms']:.1f}{_ok(p['median_ms'], limit_ms)} | "
            f"{p['min_ms']:.1f} | {p['max_ms']:.1f} | {p['queries']} | {p['query_ms']:.1f} | "
            f"{p['slowest_query_ms']:.1f} |"
        )
    return lines


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    t = TARGETS
    seed = results["seed"]
    lines = [
        f"# caselog benchmark — {m['db']}",
        "",
        f"- date: {m['date']}",
        f"- machine: {m['nproc']} cores, {m['platform']}, Python {m['python']}, "
        f"Django {m['django']}; load average at the end {m['load']} (the host is shared)",
        f"- database: {m['db']} (`{m['db_name']}`)",
        f"- data: {results['cases']:,} cases over {results['accounts']} accounts; the measured "
        f"account holds {results['big']:,}"
        + (
            f" (default view {results['views']['default']:,}, "
            f"{results['views']['expired']:,} expired hidden)"
            if results.get("views")
            else ""
        ),
        "- seed: "
        + (
            "reused from an earlier run"
            if seed["reused"]
            else f"written in {seed['seconds']:.1f} s"
        ),
        f"- {results['repeat']} timed runs after 1 warm-up; server time in process "
        "(django.test.Client); ✗ marks a missed target",
    ]
    if results.get("pages"):
        lines += [
            "",
            f"## Log page, seller of the large account (target ≤ {t['log_ms']:.0f} ms, "
            f"≤ {t['log_queries']} queries)",
            "",
        ]
        lines += _page_table(results["pages"], t["log_ms"])
    if results.get("plans"):
        bad = [f"`{r['sort']}` page {r['page']}" for r in results["plans"] if r["temp_sort"]]
        lines += [
            "",
            f"Query plans of the page query, every sort both ways, default view, "
            f"pages 1 and 2,000: {len(results['plans'])} checked; sorted by the database "
            f"instead of read in index order: {', '.join(bad) or 'none'}.",
        ]
    exports = results.get("exports") or []
    if exports:
        lines += [
            "",
            f"## CSV export (target ≥ {t['export_rows_s']:,} rows/s, ≥ {t['export_ratio']} × "
            f"baseline, RSS growth ≤ {t['export_rss_mb']:.0f} MB)",
            "",
            "| Export | rows | median s | min s | max s | rows/s | baseline rows/s | ratio |"
            " peak RSS growth MB (anon) | Python peak MB |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for label, e, b in exports:
            ratio = e["rows_per_s"] / b["rows_per_s"]
            growth = max(e["first_rss_growth_mb"], e["rss_growth_mb"])
            anon = max(e["first_anon_rss_growth_mb"], e["anon_rss_growth_mb"])
            traced = "" if e["traced_peak_mb"] is None else f"{e['traced_peak_mb']:.1f}"
            lines.append(
                f"| {label}: `{e['url']}` | {e['rows']:,} | {e['median_s']:.2f} | "
                f"{e['min_s']:.2f} | {e['max_s']:.2f} | "
                f"{e['rows_per_s']:,.0f}"
                f"{_ok(e['rows_per_s'], t['export_rows_s'], at_least=True)} | "
                f"{b['rows_per_s']:,.0f} | "
                f"{ratio:.2f}{_ok(ratio, t['export_ratio'], at_least=True)} | "
                f"{growth:.1f} ({anon:.1f}){_ok(growth, t['export_rss_mb'])} | {traced} |"
            )
    if results.get("case_page"):
        c = results["case_page"]
        lines += [
            "",
            f"## Case page and reply (targets ≤ {t['case_ms']:.0f} ms, constant queries; "
            f"RSS growth ≤ {t['reply_rss_mb']:.0f} MB)",
            "",
            "| Measure | median ms | min ms | max ms | queries | memory |",
            "|---|---:|---:|---:|---:|---|",
            f"| case page, {c['messages']} messages, {c['files']} files | "
            f"{c['median_ms']:.1f}{_ok(c['median_ms'], t['case_ms'])} | {c['min_ms']:.1f} | "
            f"{c['max_ms']:.1f} | {c['queries']} | |",
        ]
        if results.get("case_page_small"):
            s = results["case_page_small"]
            lines.append(
                f"| case page, {s['messages']} messages (constant queries?) | "
                f"{s['median_ms']:.1f} | {s['min_ms']:.1f} | {s['max_ms']:.1f} | "
                f"{s['queries']} | |"
            )
    if results.get("reply"):
        r = results["reply"]
        if not results.get("case_page"):
            lines += [
                "",
                "| Measure | median ms | min ms | max ms | queries | memory |",
                "|---|---:|---:|---:|---:|---|",
            ]
        lines.append(
            f"| reply with 3 × {r['file_mb']} MB files (POST through the WSGI handler) | "
            f"{r['median_ms']:.0f} | {r['min_ms']:.0f} | {r['max_ms']:.0f} | | peak RSS growth "
            f"{r['rss_growth_mb']:.1f} MB{_ok(r['rss_growth_mb'], t['reply_rss_mb'])} "
            f"(anon {r['anon_rss_growth_mb']:.1f}) |"
        )
    if results.get("admin"):
        lines += [
            "",
            f"## Admin case list, support agent, all {results['cases']:,} cases "
            f"(target ≤ {t['admin_ms']:.0f} ms)",
            "",
        ]
        lines += _page_table(results["admin"], t["admin_ms"])
    if results.get("serve"):
        s = results["serve"]
        lines += [
            "",
            f"## Throughput: gunicorn, 2 workers, loopback, {s['hello']['tool']}, "
            f"{s['seconds']:.0f} s each (target log ≥ {t['serve_ratio']:.0%} of hello)",
            "",
            "| URL | requests/s | median latency ms | errors |",
            "|---|---:|---:|---:|",
            f"| `/bench-hello/` (bare view) | {s['hello']['rps']:,.0f} | "
            f"{s['hello']['p50_ms'] or 0:.1f} | {s['hello']['errors']} |",
            f"| `/cases/` (log page, seller) | {s['log']['rps']:,.0f} | "
            f"{s['log']['p50_ms'] or 0:.1f} | {s['log']['errors']} |",
            "",
            f"Log page / hello: **{s['ratio']:.0%}**"
            f"{_ok(s['ratio'], t['serve_ratio'], at_least=True)}.",
        ]
    slow = [(p["label"], q) for p in results.get("pages", []) for q in p["slow_queries"]]
    if slow:
        lines += ["", f"## Queries slower than {SLOW_QUERY_MS:.0f} ms (untimed request)", ""]
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
    return {"default": default, "all": every, "expired": every - default}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _parse_args(argv)
    # STATIC_ROOT is only filled by collectstatic; whitenoise warns about it.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    embedded = _setup_django(args)

    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    people = prepare_data(args, embedded)
    seller, agent = people["seller"], people["agent"]
    big = people["accounts"][0]
    parts = args.parts
    if embedded:
        parts = parts - {"serve"}  # the test database may live in memory
    results: dict[str, Any] = {
        "cases": args.cases,
        "accounts": args.accounts,
        "big": min(args.big, args.cases),
        "repeat": args.repeat,
        "seed": {"reused": people["reused"], "seconds": people["seconds"]},
    }
    media = Path(tempfile.mkdtemp(prefix="bench-media-")) if embedded else DATA_DIR / "media"
    # DEBUG off: the query log would grow in memory and slow every query. The
    # client names a host that ALLOWED_HOSTS accepts outside the test runner.
    try:
        with override_settings(DEBUG=False, MEDIA_ROOT=str(media)):
            client = Client(SERVER_NAME="localhost")
            client.force_login(seller)
            agent_client = Client(SERVER_NAME="localhost")
            agent_client.force_login(agent)
            views = results["views"] = _view_sizes(seller)
            print(f"views: {views}")
            if "log" in parts:
                print(f"log page ({args.repeat} runs after 1 warm-up):")
                results["pages"] = measure_pages(
                    client,
                    log_urls(people["colleague"].email, people["page_case"]),
                    args.repeat,
                    args.explain,
                )
            if "plans" in parts:
                results["plans"] = check_plans(seller)
            if "export" in parts:
                print("export:")
                url = "/cases/export.csv?created_from=2000-01-01"
                own = measure_export(client, url, args.repeat, views["all"])
                own_base = measure_baseline("WHERE account_id = %s", [big.pk], args.repeat)
                # Agents export from the admin's case list (every case, unfiltered).
                every = measure_export(
                    agent_client,
                    "/admin/cases/case/export.csv",
                    max(1, args.repeat // 3),
                    args.cases,
                    trace=False,
                )
                every_base = measure_baseline("", [], max(1, args.repeat // 3))
                results["exports"] = [
                    ("seller, large account", own, own_base),
                    ("support agent, every case", every, every_base),
                ]
            if "case" in parts:
                print("case page:")
                results["case_page"] = measure_case_page(client, people["page_case"], args.repeat)
                small = measure_case_page(client, people["reply_case"], args.repeat)
                results["case_page_small"] = small
            if "reply" in parts:
                print("reply:")
                results["reply"] = measure_reply(
                    client, people["reply_case"], max(1, args.repeat // 2), args.reply_mb
                )
            if "admin" in parts:
                print("admin:")
                results["admin"] = measure_admin(agent_client, min(args.repeat, 3), args.cases)
        if "serve" in parts:
            print("throughput:")
            results["serve"] = measure_serve(seller, args.serve_seconds)
    finally:
        if embedded:
            shutil.rmtree(media, ignore_errors=True)

    results["machine"] = _machine()
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
