"""The log page's hand-built HTML: its table rows, with the badges they carry.

A Django template loop took ~0.1 ms a row (10 ms for 100 rows), so the rows are
a Jinja2 fragment (`templates/fragments/log_rows.jinja`, autoescaped; see
`caselog.fragments`). `templates/cases/_log_rows.html` is the Django template
that renders the same markup: tests/cases/test_fragments.py renders both for
every kind of row, in English and French, and compares them. Change the two
together.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import formats
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from caselog.fragments import fragment_macros, render_fragment


def _expires_in(days: int) -> str:
    return ngettext("Expires in %(days)s day", "Expires in %(days)s days", days) % {
        "days": formats.localize(days)
    }


def badge_texts() -> dict[str, Any]:
    """The translated texts of the badges (`templates/fragments/badges.jinja`)."""
    return {
        "expired": gettext("Expired"),
        "expires_in": _expires_in,
        "updated_title": gettext(
            "Seller Support wrote or the state changed since you last opened this case."
        ),
        "updated": gettext("Updated"),
        "changed_since": gettext("Changed since you last opened it"),
    }


def log_rows_html(rows: Iterable[Any]) -> SafeString:
    """The `<tr>` of the log table (`cases/_case_table.html` holds the table around
    them), from rows decorated by `cases.attention.decorate_log_rows`."""
    t = {
        **badge_texts(),
        "opened_by": gettext("Opened by"),
        "in_messages": gettext("In the messages:"),
        "last_activity": gettext("Last activity"),
    }
    badges = fragment_macros("badges.jinja")
    state_cells: dict[tuple[Any, ...], Any] = {}
    table = []
    for case in rows:
        is_expired = case.is_expired
        key: tuple[Any, ...] = (case.state_label, case.state_title, case.badge_class, is_expired)
        key += (None if is_expired else case.days_until_expiry,)
        state_cell = state_cells.get(key)
        if state_cell is None:
            state_cell = state_cells[key] = badges.state_cell(case, t)
        changed = case.changed_since_seen
        opener = case.opened_by_email
        table.append(
            (
                ("case-expired" if is_expired else "") + (" case-changed" if changed else ""),
                case.created_iso,
                case.created_text,
                case.url,
                case.id,
                changed,
                state_cell,
                case.primary_email,
                opener if opener != case.primary_email else "",
                case.short_description,
                case.search_snippet,
                case.activity_iso,
                case.activity_text,
            )
        )
    return render_fragment("log_rows.jinja", rows=table, updated_mark=badges.updated_mark(t), t=t)
