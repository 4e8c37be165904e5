"""The benchmarks' own PostgreSQL databases are created when missing, as the load
test creates its own (scripts/loadtest.py): `DATABASE_URL=postgres://…/bench_caselog
make bench` works on a server where nobody ran CREATE DATABASE first."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

# Databases every server has, to connect to while the target does not exist yet.
MAINTENANCE_DATABASES = ("postgres", "template1")
REFUSED = {"test", "postgres", "template0", "template1"}


def database_name(url: str) -> str:
    return unquote(urlsplit(url).path.lstrip("/"))


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database named in `url` if it does not exist.

    Returns True when it was created. SQLite (or any other) URLs are left alone.
    """
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        return False
    name = database_name(url)
    if not name or name in REFUSED:
        raise SystemExit(f"Refusing to benchmark in the database named {name!r}.")
    import psycopg
    from psycopg import sql

    last_error: Exception | None = None
    for maintenance in MAINTENANCE_DATABASES:
        admin_url = urlunsplit(parts._replace(path=f"/{maintenance}"))
        try:
            with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
                found = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [name]
                ).fetchone()
                if found:
                    return False
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"created the PostgreSQL database {name!r}")
                return True
        except psycopg.OperationalError as error:  # no such maintenance database
            last_error = error
    raise SystemExit(f"Cannot reach the PostgreSQL server to create {name!r}: {last_error}")
