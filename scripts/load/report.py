"""The figures of a run, the goals they must meet, and the table printed at the end.

The database and the disk are compared with what the server acknowledged (a 302
after the POST): no acknowledged message missing, none saved twice, every
attachment row has its file and every file its row.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from load.clients import Tally

P99_GOAL_SECONDS = 1.0
TRACEBACK = "Traceback (most recent call last)"
# Lines a database error's message goes on with (psycopg: DETAIL, HINT, CONTEXT).
_MESSAGE_GOES_ON = re.compile(r"^(DETAIL|HINT|CONTEXT|WHERE|LINE \d+):|^\s+\^")


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def server_tracebacks(log: str) -> list[str]:
    """Each traceback of the server log with the line before it (Django's "Internal
    Server Error: <path>") and the whole exception (chained ones included), once
    each, the most frequent first, with how often it came."""
    lines = log.splitlines()
    blocks: list[str] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith(TRACEBACK):
            i += 1
            continue
        start = i - 1 if i and lines[i - 1].strip() and not lines[i - 1][0].isspace() else i
        end = _traceback_end(lines, i)
        blocks.append("\n".join(lines[start:end]))
        i = end
    counted = Counter(blocks)
    return [block if n == 1 else f"({n} times)\n{block}" for block, n in counted.most_common()]


def _traceback_end(lines: list[str], i: int) -> int:
    """The index after the exception that ends the traceback starting at `i`."""
    j = i + 1
    while j < len(lines):
        if lines[j].startswith((" ", "\t", TRACEBACK)):
            j += 1
            continue
        j += 1  # the exception line, then what its message goes on with
        while j < len(lines) and _MESSAGE_GOES_ON.match(lines[j]):
            j += 1
        following = j
        while following < len(lines) and not lines[following].strip():
            following += 1
        if following < len(lines) and lines[following].startswith(
            ("The above exception", "During handling")
        ):
            j = following + 1  # a chained exception: its traceback follows
            while j < len(lines) and not lines[j].strip():
                j += 1
            continue
        return j
    return j


def summarize(
    results: dict[str, Any],
    check: dict[str, Any],
    log: str,
    db_url: str,
    clients: int,
    readers: int,
) -> dict[str, Any]:
    tally: Tally = results["tally"]
    acknowledged = tally.acknowledged
    per_token: dict[str, int] = check["per_token"]
    files_per_token: dict[str, int] = check["attachments_per_token"]
    lost = [t for t in acknowledged if per_token.get(t, 0) == 0]
    duplicated = [t for t, n in per_token.items() if n > 1]
    wrong_files = [
        t for t, n in acknowledged.items() if per_token.get(t) and files_per_token.get(t, 0) != n
    ]
    writes = tally.write_latencies
    figures = {
        "database": "PostgreSQL" if db_url.startswith("postgres") else "SQLite",
        "seconds": round(results["elapsed"], 1),
        "writers": clients,
        "readers": readers,
        "requests": tally.requests,
        "requests_per_second": round(tally.requests / max(results["elapsed"], 0.001), 1),
        "statuses": dict(sorted(tally.statuses.items())),
        "server_errors": sum(n for s, n in tally.statuses.items() if s >= 500)
        + len([e for e in tally.errors if not e[:3].isdigit()]),
        "database_locked": log.lower().count("database is locked"),
        "tracebacks_in_log": log.count("Traceback (most recent call last)"),
        "acknowledged": len(acknowledged),
        "resubmissions_refused": tally.resubmitted,
        "messages_in_db": check["messages"],
        "lost": len(lost),
        "duplicated": len(duplicated),
        "unacknowledged_saved": len([t for t in per_token if t not in acknowledged]),
        "attachments_sent": sum(acknowledged.values()),
        "attachment_rows": check["attachment_rows"],
        "attachment_mismatch": len(wrong_files),
        "files_on_disk": check["files"],
        "orphans": check["orphan_count"],
        "missing_files": check["missing_count"],
        "exports": tally.exports,
        "foreign_rows": tally.foreign_rows,
        "write_p50": round(_percentile(writes, 0.50), 3),
        "write_p99": round(_percentile(writes, 0.99), 3),
        "write_max": round(max(writes, default=0.0), 3),
        "read_p50": round(_percentile(tally.read_latencies, 0.50), 3),
        "read_p99": round(_percentile(tally.read_latencies, 0.99), 3),
        "first_errors": tally.errors[:5],
        # What the server said, whole: the first bytes of an error page do not say why.
        "tracebacks": server_tracebacks(log),
    }
    figures["failures"] = goals_missed(figures)
    return figures


def goals_missed(f: dict[str, Any]) -> list[str]:
    """Each goal the figures miss, in words; empty when the run passed."""
    missed = []
    for key in [
        "server_errors",
        "database_locked",
        "tracebacks_in_log",
        "lost",
        "duplicated",
        "attachment_mismatch",
        "orphans",
        "missing_files",
        "foreign_rows",
    ]:
        if f[key]:
            missed.append(f"{key} = {f[key]} (goal: 0)")
    if f["write_p99"] >= P99_GOAL_SECONDS:
        missed.append(f"write p99 = {f['write_p99']} s (goal: < {P99_GOAL_SECONDS} s)")
    if not f["acknowledged"]:
        missed.append("no message was acknowledged: the load did not run")
    return missed


def print_table(figures: dict[str, Any]) -> None:
    rows = [
        ("database", figures["database"]),
        ("duration (s)", figures["seconds"]),
        ("clients (writers + readers)", f"{figures['writers']} + {figures['readers']}"),
        ("mean pause per client (s)", figures["think_seconds"]),
        ("requests (per second)", f"{figures['requests']} ({figures['requests_per_second']})"),
        ("HTTP statuses", figures["statuses"]),
        ("server errors (5xx, resets)", figures["server_errors"]),
        ('"database is locked" in log', figures["database_locked"]),
        ("tracebacks in server log", figures["tracebacks_in_log"]),
        ("messages acknowledged (302)", figures["acknowledged"]),
        ("double submissions refused", figures["resubmissions_refused"]),
        ("messages in database", figures["messages_in_db"]),
        ("lost / duplicated", f"{figures['lost']} / {figures['duplicated']}"),
        ("saved but not acknowledged", figures["unacknowledged_saved"]),
        (
            "attachments sent / rows / files",
            (
                f"{figures['attachments_sent']} / {figures['attachment_rows']} / "
                f"{figures['files_on_disk']}"
            ),
        ),
        ("orphan files / missing files", f"{figures['orphans']} / {figures['missing_files']}"),
        ("CSV exports", figures["exports"]),
        ("foreign case IDs shown", figures["foreign_rows"]),
        (
            "write p50 / p99 / max (s)",
            (f"{figures['write_p50']} / {figures['write_p99']} / {figures['write_max']}"),
        ),
        ("read p50 / p99 (s)", f"{figures['read_p50']} / {figures['read_p99']}"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    if figures["first_errors"]:
        print("  first errors:")
        for error in figures["first_errors"]:
            print(f"    {error}")
    if figures["tracebacks"]:
        print("  the server's tracebacks (each once, most frequent first):")
        for block in figures["tracebacks"]:
            print("    " + block.replace("\n", "\n    "))
    print("RESULT:", "FAIL — " + "; ".join(figures["failures"]) if figures["failures"] else "PASS")
