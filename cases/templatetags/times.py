"""`|machine_time`: the `datetime` attribute of a `<time>` element."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

register = template.Library()


@register.filter(expects_localtime=True)
def machine_time(value: Any) -> str:
    """ISO 8601 to the second, with the offset (`2026-12-06T21:02:00+01:00`): what
    a `<time datetime>` needs. One C call, where `|date:'Y-m-d\\TH:i:sO'` spent a
    tenth of a millisecond a date on a long page (its offset checks every wall time)."""
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else ""
