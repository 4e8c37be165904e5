"""What long pages show of each row, computed once per page instead of once per
template tag: dates, URLs. Each helper gives exactly what the template filter or
tag it replaces gives (`|date`, `{% url %}` / `get_absolute_url`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import dateformat, formats
from django.utils.timezone import template_localtime

from cases.fragments import log_rows_html
from cases.models import Case

__all__ = ["date_texts", "iso_datetime", "log_rows_display", "log_rows_html", "url_builder"]

# The `<time datetime>` format of the templates (`|date:'Y-m-d\\TH:i:sO'`).
ISO_FORMAT = "Y-m-d\\TH:i:sO"


def _ambiguous_or_imaginary(local: datetime) -> bool:
    """A wall time the zone shows twice (DST ends) or never (DST starts): the other
    `fold` gives another offset. What Django's own (private) check does."""
    return local.utcoffset() != local.replace(fold=not local.fold).utcoffset()


def iso_datetime(local: datetime) -> str:
    """`dateformat.format(local, ISO_FORMAT)`, by `strftime` where both agree: a
    4-digit year, an offset of whole minutes (`O` is ±HHMM, `%z` may add seconds),
    and a local time that is neither ambiguous nor imaginary (`O` is empty then)."""
    offset = local.utcoffset()
    if (
        local.year >= 1000
        and offset is not None
        and not offset.seconds % 60
        and not _ambiguous_or_imaginary(local)
    ):
        return local.strftime("%Y-%m-%dT%H:%M:%S%z")
    return dateformat.format(local, ISO_FORMAT)


def date_texts() -> Callable[[datetime], tuple[str, str]]:
    """(ISO 8601 with offset, SHORT_DATETIME_FORMAT) of a date, as the templates'
    `|date` filters give them, each distinct value formatted once per page."""
    cache: dict[datetime, tuple[str, str]] = {}
    use_tz = settings.USE_TZ

    def texts(value: datetime) -> tuple[str, str]:
        found = cache.get(value)
        if found is None:
            local = template_localtime(value, use_tz)
            found = (iso_datetime(local), formats.date_format(local, "SHORT_DATETIME_FORMAT"))
            cache[value] = found
        return found

    return texts


def url_builder(
    name: str, slot: Any, safe: Callable[[Any], bool] = lambda _value: True
) -> Callable[[Any], str]:
    """`reverse(name, args=[value])` without a `reverse()` per row: the URL is
    reversed once with `slot` and `str(value)` put in its place. Values that
    `safe` refuses (which the URL would escape) still go through `reverse()`."""
    prefix, _, suffix = reverse(name, args=[slot]).partition(str(slot))

    def url(value: Any) -> str:
        if safe(value):
            return prefix + str(value) + suffix
        return reverse(name, args=[value])

    return url


_URL_SLOT = 9876543210123  # reversed once, then replaced by each case ID


def log_rows_display(rows: list[Case]) -> list[Case]:
    """What the table shows of each row, computed once per page (`cases/_case_table.html`), for
    the log page (`cases.views.case_list`):

    `created_iso`/`created_text` (the two `|date` of the creation date), the same
    of the last activity, `url` (`get_absolute_url` without a `reverse()` per
    row), and the state badge's `state_label`, `state_title`, `badge_class`
    (`get_state_display`, `state_meaning`, `state_badge`), translated once per state.
    """
    texts = date_texts()
    url = url_builder("cases:detail", _URL_SLOT)
    states: dict[str, tuple[str, str, str]] = {}
    for case in rows:
        case.created_iso, case.created_text = texts(case.created_at)
        case.activity_iso, case.activity_text = texts(case.last_activity_at)
        case.url = url(case.pk)
        state = states.get(case.state)
        if state is None:
            state = states[case.state] = (
                case.get_state_display(),
                case.state_meaning,
                case.state_badge,
            )
        case.state_label, case.state_title, case.badge_class = state
    return rows
