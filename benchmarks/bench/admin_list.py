"""The agent's admin case list over every case, with and without its date hierarchy."""

from __future__ import annotations

from typing import Any

from bench.log_pages import measure_pages


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
    rows = measure_pages(client, urls, repeat)
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
