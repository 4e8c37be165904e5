"""The log page: the URLs measured, and the page measure every page part uses."""

from __future__ import annotations

from typing import Any

from bench.timing import QueryTimer, explain, stats, timed

SLOW_QUERY_MS = 25.0
SORTS = ["created", "id", "state", "email", "description", "activity"]


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


def view_sizes(user: Any) -> dict[str, int]:
    """Cases in the seller's default view, in all, and hidden as expired."""
    from django.http import QueryDict

    from cases.selectors import case_log

    def size(query: str) -> int:
        return case_log(user=user, params=QueryDict(query)).queryset.count()

    default, every = size(""), size("created_from=2000-01-01")
    return {"default": default, "all": every, "expired": every - default}


def measure_pages(
    client: Any, urls: list[tuple[str, str]], repeat: int, explain_slow: bool = False
) -> list[dict[str, Any]]:
    """Median/min/max of `repeat` GETs of each URL, and its queries from one more GET.

    With `explain_slow`, the plan of each query slower than SLOW_QUERY_MS.
    """
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

        times, sizes = timed(get, repeat)
        row = {
            "label": label,
            "url": url,
            **{f"{k}_ms": v * 1000 for k, v in stats(times).items()},
            "queries": len(captured),
            "query_ms": sum(ms for ms, _ in captured),
            "slowest_query_ms": slowest_ms,
            "slowest_query": slowest_sql,
            "bytes": sizes[0],
        }
        slow = [(ms, sql) for ms, sql in captured if ms >= SLOW_QUERY_MS]
        row["slow_queries"] = [
            {"ms": ms, "sql": sql, "plan": explain(sql) if explain_slow else None}
            for ms, sql in slow
        ]
        results.append(row)
        print(
            f"  {label:<34} median {row['median_ms']:7.1f} ms  "
            f"(min {row['min_ms']:.1f}, max {row['max_ms']:.1f})  {row['queries']} queries"
        )
    return results
