"""Query plans: the log's page query of every sort must read an index in order, not sort."""

from __future__ import annotations

from typing import Any

from bench.log_pages import SORTS
from bench.timing import explain


def sorts_in_plan(plan: str, vendor: str) -> list[str]:
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
            plan = explain(*queryset.query.sql_with_params())
            sorts = sorts_in_plan(plan, connection.vendor)
            rows.append({"sort": sort, "page": number, "plan": plan, "temp_sort": sorts})
    bad = [f"{r['sort']} p{r['page']}" for r in rows if r["temp_sort"]]
    print(f"  plans: {len(rows)} checked, sorting in the database: {', '.join(bad) or 'none'}")
    return rows
