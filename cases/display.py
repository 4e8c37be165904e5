"""How a page shows a date: `Moment`, each distinct date of a page formatted once.

The log's rows (`cases.attention.log_rows`) and the case page's files
(`correspondence.selectors.thread_of`) carry their dates as moments, so a long
page formats each date once, in the user's language and time zone (the request's),
with Django's own `date_format`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils import formats, timezone


@dataclass(frozen=True, slots=True)
class Moment:
    """A date as a page shows it: `iso` for `<time datetime>`, `text` in the user's
    language and time zone (`SHORT_DATETIME_FORMAT`)."""

    iso: str
    text: str


def moments() -> Callable[[datetime], Moment]:
    """A page's date formatter: each distinct date formatted once (a case's last
    activity is often its creation; a message's files share its date)."""
    made: dict[datetime, Moment] = {}

    def moment(value: datetime) -> Moment:
        if value not in made:
            local = timezone.localtime(value)
            made[value] = Moment(
                local.isoformat(timespec="seconds"),
                formats.date_format(local, "SHORT_DATETIME_FORMAT"),
            )
        return made[value]

    return moment
