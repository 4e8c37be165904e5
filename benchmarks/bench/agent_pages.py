"""The support agent's requests (issue #21): the queue and its filters, the search,
a deep page, the lead's overview and the agents' case page, each beside a baseline
measured in the same run; the queue's page query plans; one overview refresh.

The seed assigns no case: `assign_agent_cases` gives the bench agent a fixed
slice of open cases (idempotent, so a reused seed keeps the same data). The
seller's pages do not show the assignee, so the other parts' figures do not
depend on it.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlencode

import bench_seed

from bench.case_page import thread_size
from bench.log_pages import measure_pages
from bench.plans import sorts_in_plan
from bench.timing import QueryTimer, explain

# Cases assigned to the bench agent: the open cases with the highest ids. They
# sort last among support's turn in the queue, away from the pages measured.
ASSIGNED = 1_000
ADMIN_LIST = "/admin/cases/case/"
# The floor of an agent's request: the admin's smallest page for a staff user
# (session, user, permissions, the admin's base template).
ADMIN_FLOOR = ("baseline: admin's minimal page", "/admin/password_change/")
SELLER_LOG = "/cases/"  # the seller's log, default view (the log part measures it too)


def assign_agent_cases(agent: Any) -> dict[str, int]:
    """Give the agent the slice of open cases, in one UPDATE of the rows not yet
    theirs (a second run changes nothing). As a service's locked write does, the
    version is bumped and the fields derived from the assignee are written too."""
    from django.db import connection, transaction
    from django.db.models import F

    from cases.models import Case, CaseState

    written = ["assignee"]
    derived = [
        field.name
        for field in Case._meta.concrete_fields
        if set(getattr(field, "derived_from", ())) & set(written)
    ]
    open_slice = Case.objects.filter(state=CaseState.OPEN).order_by("-pk").values("pk")[:ASSIGNED]
    with transaction.atomic():
        changed = (
            Case.objects.filter(pk__in=open_slice)
            .exclude(assignee=agent)
            .update(assignee=agent, version=F("version") + 1)
        )
        if changed and derived:  # none today: each field's pre_save computes it
            for case in Case.objects.filter(assignee=agent):
                case.save(update_fields=derived)
        if changed and connection.vendor == "postgresql":
            # The seed's statistics say no case has an assignee: the planner would
            # expect one row for "assigned to me". Autovacuum would not notice so
            # few rows; the column's statistics alone are read again.
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {Case._meta.db_table} (assignee_id)")
    total = Case.objects.filter(assignee=agent).count()
    return {"assigned": total, "changed": changed}


def agent_urls(case_id: int, total: int) -> list[tuple[str, str, str]]:
    """(label, URL, target key in report.TARGETS) of each agent request measured."""
    from django.contrib import admin
    from django.contrib.admin.views.main import PAGE_VAR, SEARCH_VAR

    from cases.admin import AssigneeFilter
    from cases.models import Case, CaseState

    model_admin = admin.site._registry[Case]
    # Django's list pages count from 1; a small seed has fewer than 100 pages.
    deep = max(1, min(100, -(-total // model_admin.list_per_page)))
    email = bench_seed.OTHER_EMAILS[0]
    size = thread_size(case_id)
    return [
        ("queue (default order)", ADMIN_LIST, "agent_list_ms"),
        (
            f"state filter: {CaseState.OPEN.value}",
            f"{ADMIN_LIST}?{urlencode({'state__exact': CaseState.OPEN.value})}",
            "agent_list_ms",
        ),
        (
            "assigned to me",
            f"{ADMIN_LIST}?{urlencode({AssigneeFilter.parameter_name: 'me'})}",
            "agent_list_ms",
        ),
        ("e-mail search", f"{ADMIN_LIST}?{urlencode({SEARCH_VAR: email})}", "agent_list_ms"),
        (f"queue, page {deep}", f"{ADMIN_LIST}?{urlencode({PAGE_VAR: deep})}", "agent_list_ms"),
        ("lead's overview", "/admin/overview/", "overview_ms"),
        (
            f"case page, {size['messages']} messages, {size['files']} files",
            f"{ADMIN_LIST}{case_id}/change/",
            "case_ms",
        ),
    ]


def measure_agent(
    agent_client: Any,
    seller_client: Any,
    people: dict[str, Any],
    *,
    repeat: int,
    total: int,
    log_rows: list[dict[str, Any]] | None = None,
    explain_slow: bool = False,
) -> dict[str, Any]:
    """The agent's requests and the admin floor in one loop, the seller's log default
    view (the log part's figure when it ran), one overview refresh, the queue's plans."""
    assignment = assign_agent_cases(people["agent"])
    print(f"  {assignment['assigned']:,} cases assigned to the agent ({assignment['changed']} now)")
    refresh = measure_overview_refresh()
    print(
        f"  overview refresh: {refresh['ms']:.1f} ms, {refresh['queries']} queries "
        f"({refresh['query_ms']:.1f} ms SQL)"
    )
    requests = agent_urls(people["page_case"], total)
    targets = {label: target for label, _url, target in requests}
    rows = measure_pages(
        agent_client,
        [ADMIN_FLOOR, *((label, url) for label, url, _t in requests)],
        repeat,
        explain_slow,
    )
    floor, measured = rows[0], rows[1:]
    reused = next((row for row in log_rows or [] if row["url"] == SELLER_LOG), None)
    if reused is None:
        [seller_log] = measure_pages(
            seller_client, [("baseline: seller's log", SELLER_LOG)], repeat
        )
    else:
        seller_log = {**reused, "label": "baseline: seller's log"}
    for row in measured:
        row["target"] = targets[row["label"]]
    plans = queue_plans(people["agent"], requests[:3])
    return {
        **assignment,
        "refresh": refresh,
        "rows": measured,
        "baselines": [
            {**floor, "source": "measured in the same loop"},
            {**seller_log, "source": "the log part" if reused else "measured after the loop"},
        ],
        "plans": plans,
    }


def measure_overview_refresh() -> dict[str, Any]:
    """One refresh of the overview's snapshot (what the periodic task runs), timed,
    with its queries; the page measured after it reads that fresh snapshot."""
    from django.db import connection

    from correspondence.overview import overview_refresh

    timer = QueryTimer()
    started = time.perf_counter()
    with connection.execute_wrapper(timer):
        overview_refresh()
    ms = (time.perf_counter() - started) * 1000
    return {"ms": ms, "queries": len(timer.ms), "query_ms": sum(timer.ms)}


# An index a plan reads: SQLite's "USING INDEX x", PostgreSQL's "Index Scan using x".
_INDEX_NAMES = re.compile(
    r"USING (?:COVERING )?INDEX (\w+)|Index (?:Only )?Scan (?:Backward )?using (\w+)"
)


def queue_plans(agent: Any, requests: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """The plan of each list's page query, as the admin builds it for the agent:
    read in an index's order (which), or sorted by the database."""
    from django.contrib import admin
    from django.db import connection
    from django.test import RequestFactory

    from cases.models import Case

    model_admin = admin.site._registry[Case]
    rows = []
    for label, url, _target in requests:
        request = RequestFactory().get(url)
        request.user = agent
        page = model_admin.get_changelist_instance(request).result_list
        plan = explain(*page.query.sql_with_params())
        indexes = [a or b for a, b in _INDEX_NAMES.findall(plan)]
        rows.append(
            {
                "label": label,
                "url": url,
                "plan": plan,
                "temp_sort": sorts_in_plan(plan, connection.vendor),
                "indexes": list(dict.fromkeys(indexes)),
            }
        )
        print(
            f"  plan of {label}: "
            + ("sorted by the database" if rows[-1]["temp_sort"] else "index order")
            + f" ({', '.join(rows[-1]['indexes']) or 'no index'})"
        )
    return rows
