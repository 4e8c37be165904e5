"""The benchmark's own database: Django started on it, migrated, seeded (or a seed reused)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import bench_database
import bench_seed

BENCH_DIR = Path(__file__).resolve().parent.parent
ROOT = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / ".data"
DEFAULT_DB = DATA_DIR / "bench.sqlite3"
RESULTS_DIR = BENCH_DIR / "results"


def start_django(db: str | None, default_db: Path) -> None:
    """Point DATABASE_URL at the benchmark's database and start Django on it.

    `db` (a SQLite path or a URL) wins over DATABASE_URL, which wins over
    `default_db`. The database named `test` (and the server's own) are refused; a
    missing PostgreSQL database is created.
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "caselog.settings"
    # Development defaults (no secret needed); the measures switch DEBUG off so
    # the query log does not grow in memory.
    os.environ["DJANGO_DEBUG"] = "1"
    if db:
        os.environ["DATABASE_URL"] = db if "://" in db else f"sqlite:///{Path(db).resolve()}"
    elif not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = f"sqlite:///{default_db}"
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


def setup_django(db: str | None) -> bool:
    """Start Django once on the bench database. Returns True when Django was already running.

    `db` is bench_log.py's --db: a SQLite file or a database URL (else DATABASE_URL,
    else benchmarks/.data/bench.sqlite3).
    """
    from django.apps import apps

    if apps.ready:
        return True
    os.environ["MEDIA_ROOT"] = str(DATA_DIR / "media")
    os.environ["EMAIL_URL"] = "locmem://"  # the replies' notifications stay in memory
    start_django(db, DEFAULT_DB)
    return False


def migrate() -> None:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"migrate: {time.perf_counter() - started:.1f} s")


def empty_database() -> None:
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
    migrate()


def prepare_data(args: argparse.Namespace, embedded: bool) -> dict[str, Any]:
    """Who is who in the seeded data: an earlier seed of the same size, or a new one.

    Embedded (inside pytest), the current, empty, database is seeded as is.
    """
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
    migrate()
    found = None if args.reseed else bench_seed.find_existing(expected)
    if found:
        print(f"seed: reusing {args.cases:,} cases (stamp {bench_seed.STAMP['path'].name})")
        return found
    empty_database()
    seeded = bench_seed.seed(total=args.cases, accounts=args.accounts, big=args.big)
    bench_seed.write_stamp(expected)
    return seeded
