"""A database that cannot be opened is said in a sentence, not a driver's traceback.

`manage.py` (every command) and the load test catch the driver's error when the
connection itself fails, and print what was tried (the URL without its password)
and what to do: create the database, or pass the URL of one that exists.
No Django import here: the load test uses it before any settings exist.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def redacted(url: str) -> str:
    """`url` with its password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def unreachable_message(url: str, error: BaseException) -> str:
    """What went wrong opening the database of `url`, and what to pass instead."""
    parts = urlsplit(url)
    reason = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
    name = parts.path.lstrip("/")
    lines = [f"Cannot open the database {redacted(url)}: {reason.strip()}"]
    if parts.scheme.startswith("postgres") and "does not exist" in str(error):
        where = f"-h {parts.hostname or 'localhost'} -p {parts.port or 5432}"
        user = f" -U {parts.username}" if parts.username else ""
        lines.append(
            f"Create it (createdb {where}{user} {name}), or set DATABASE_URL to a "
            "database that exists, e.g. postgres://user@host:5432/postgres."
        )
    elif parts.scheme.startswith("postgres"):
        lines.append(
            "Check that the PostgreSQL server is running and that DATABASE_URL names the "
            "right host, port, user and password (postgres://user:password@host:5432/name)."
        )
    else:
        lines.append("Check DATABASE_URL: the file's folder must exist and be writable.")
    return "\n".join(lines)
