"""What a page of rows shows, worked out once a page: dates (`Moment`, each
distinct date formatted once) and links of one URL pattern (`links`, one
`reverse()` a page).

The log's rows (`cases.attention.log_rows`), the agents' queue rows
(`cases.admin.queue_rows`) and the case page's files
(`correspondence.selectors.thread_of`) use them: a long page formats each date once,
in the user's language and time zone (the request's), with Django's own
`date_format`, and reverses each URL pattern once.
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


def links(url: str, stand_in: object = 0) -> Callable[[object], str]:
    """A page's links of one URL pattern: `url` is the pattern's URL with
    `stand_in` as its one varying path segment (what `reverse()` gave for it, query
    string included); each link puts a value in that segment's place."""
    before, after = url.split(f"/{stand_in}/", 1)
    return lambda value: f"{before}/{value}/{after}"
