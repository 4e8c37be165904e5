"""The CSV export beside its floor: a raw cursor and `csv.writer` over the same rows."""

from __future__ import annotations

import csv
import time
import tracemalloc
from typing import Any

from bench.timing import RssSampler, stats, timed

BASELINE_COLUMNS = "id, created_at, state, primary_email, short_description"


class _Discard:
    """A file that forgets what is written to it."""

    def write(self, value: str) -> int:
        return len(value)


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
    summary = stats(times)
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
        **{f"{k}_s": v for k, v in summary.items()},
        "rows_per_s": rows / summary["median"],
        "first_rss_growth_mb": first.growth_mb,
        "first_anon_rss_growth_mb": first.anon_growth_mb,
        "rss_growth_mb": max(growths),
        "anon_rss_growth_mb": max(anon_growths),
        "traced_peak_mb": traced_peak,
    }
    print(
        f"  {url}: {rows:,} rows in {summary['median']:.2f} s ({result['rows_per_s']:,.0f} rows/s),"
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

    times, counts = timed(run, repeat)
    summary = stats(times)
    result = {
        "sql": sql,
        "rows": counts[0],
        **{f"{k}_s": v for k, v in summary.items()},
        "rows_per_s": counts[0] / summary["median"],
    }
    print(
        f"  baseline: {counts[0]:,} rows in {summary['median']:.2f} s "
        f"({result['rows_per_s']:,.0f} rows/s)"
    )
    return result


def measure_exports(
    seller_client: Any,
    agent_client: Any,
    *,
    account_id: int,
    account_rows: int,
    all_rows: int,
    repeat: int,
) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """The seller's export of the large account and the agent's of every case.

    Each beside its baseline over the same rows: (label, export, baseline).
    """
    url = "/cases/export.csv?created_from=2000-01-01"
    own = measure_export(seller_client, url, repeat, account_rows)
    own_base = measure_baseline("WHERE account_id = %s", [account_id], repeat)
    # Agents export from the admin's case list (every case, unfiltered).
    fewer = max(1, repeat // 3)
    every = measure_export(
        agent_client, "/admin/cases/case/export.csv", fewer, all_rows, trace=False
    )
    every_base = measure_baseline("", [], fewer)
    return [
        ("seller, large account", own, own_base),
        ("support agent, every case", every, every_base),
    ]
