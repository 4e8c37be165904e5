"""The lead's overview: the backlog at a glance, for the admin's overview page.

The figures read every open case and thirty days of cases and messages, which
at 1,000,000 cases takes longer than a page may. So they are computed by a
periodic task (`refresh_overview`, every few minutes) into one
`OverviewSnapshot` row, and the page reads that row and says how fresh it is.
A page that finds no snapshot, or one older than `STALE_AFTER` (no worker
running), computes one itself.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.tasks import task
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cases.access import cases_for_system
from cases.models import NOT_CLOSED, STATE_URGENCY, SupportTeam, Turn, overdue_q
from correspondence.models import OverviewSnapshot
from correspondence.selectors import first_support_answers

WINDOW_DAYS = 30
REFRESH_EVERY = timedelta(minutes=5)
# Past this, the worker is not refreshing the figures: the page computes them.
STALE_AFTER = timedelta(minutes=15)
NO_TEAM = 0  # the key of cases that have no support team yet


def compute_overview(now: datetime | None = None) -> dict[str, Any]:
    """The figures as plain data (stored as JSON): counts by team and turn, overdue
    and escalated counts, per-team medians over the window, and new/resolved per day."""
    now = now or timezone.now()
    since = now - timedelta(days=WINDOW_DAYS)
    cases = cases_for_system()
    turn_of = {state.value: state.turn.value for state in STATE_URGENCY}

    open_by_team: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(Turn.values, 0))
    rows = (
        cases.filter(state__in=NOT_CLOSED)
        .order_by()
        .values_list("support_team_id", "state")
        .annotate(n=Count("pk"))
    )
    for team_id, state, n in rows:
        open_by_team[team_id or NO_TEAM][turn_of[state]] += n

    open_cases = cases.filter(state__in=NOT_CLOSED).order_by()
    overdue = open_cases.filter(overdue_q(now)).count()
    escalated = open_cases.filter(escalated_at__isnull=False).count()

    first_answers: dict[int, list[float]] = defaultdict(list)
    for _case_id, team_id, created_at, first in first_support_answers(since):
        first_answers[team_id or NO_TEAM].append((first - created_at).total_seconds())

    resolutions: dict[int, list[float]] = defaultdict(list)
    resolved = cases.filter(resolved_at__gte=since, resolved_at__lte=now).values_list(
        "support_team_id", "created_at", "resolved_at"
    )
    for team_id, created_at, resolved_at in resolved.order_by():
        if resolved_at is not None:  # the filter says so; the type does not
            resolutions[team_id or NO_TEAM].append((resolved_at - created_at).total_seconds())

    zone = timezone.get_current_timezone()
    new_per_day = _per_day(cases.filter(created_at__gte=since), "created_at", zone)
    resolved_per_day = _per_day(cases.filter(resolved_at__gte=since), "resolved_at", zone)
    today = timezone.localtime(now, zone).date()
    days = [today - timedelta(days=back) for back in range(WINDOW_DAYS - 1, -1, -1)]

    teams = set(open_by_team) | set(first_answers) | set(resolutions)
    return {
        "computed_at": now.isoformat(),
        "time_zone": str(zone),
        "overdue": overdue,
        "escalated": escalated,
        "teams": {
            str(team): {
                "open": open_by_team.get(team, dict.fromkeys(Turn.values, 0)),
                "first_response_median": _median(first_answers.get(team)),
                "first_responses": len(first_answers.get(team, [])),
                "resolution_median": _median(resolutions.get(team)),
                "resolutions": len(resolutions.get(team, [])),
            }
            for team in teams
        },
        "days": [
            [day.isoformat(), new_per_day.get(day, 0), resolved_per_day.get(day, 0)] for day in days
        ],
    }


def _per_day(queryset: Any, field: str, zone: Any) -> dict[date, int]:
    rows = (
        queryset.order_by()
        .annotate(day=TruncDate(field, tzinfo=zone))
        .values_list("day")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


def _median(seconds: list[float] | None) -> float | None:
    return statistics.median(seconds) if seconds else None


def overview_refresh(now: datetime | None = None) -> OverviewSnapshot:
    """Compute the figures and keep them as the one snapshot row."""
    data = compute_overview(now)
    snapshot, _created = OverviewSnapshot.objects.update_or_create(
        pk=1, defaults={"computed_at": datetime.fromisoformat(data["computed_at"]), "data": data}
    )
    return snapshot


@task()
def refresh_overview() -> None:
    """The periodic job (background/periodic.py)."""
    overview_refresh()


def current_overview(now: datetime | None = None) -> OverviewSnapshot:
    """The snapshot the page shows: the stored one, unless missing or stale."""
    now = now or timezone.now()
    snapshot = OverviewSnapshot.objects.filter(pk=1).first()
    if snapshot is None or now - snapshot.computed_at > STALE_AFTER:
        snapshot = overview_refresh(now)
    return snapshot


# --- what the page shows -----------------------------------------------------


@dataclass(frozen=True)
class TeamRow:
    name: str
    seller: int
    support: int
    nobody: int
    total: int
    first_response: str
    first_responses: int
    resolution: str
    resolutions: int


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    value: int
    label: str


@dataclass(frozen=True)
class Chart:
    """The new-versus-resolved chart, laid out for an SVG drawn by the template."""

    width: int
    height: int
    base: float
    new: list[Bar]
    resolved: list[Bar]
    ticks: list[Bar]  # the day labels under the bars (every few days)
    peak: int


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    hours = seconds / 3600
    if hours < 48:
        return _("%(hours)s h") % {"hours": formats.number_format(hours, 1)}
    return _("%(days)s days") % {"days": formats.number_format(hours / 24, 1)}


def team_rows(snapshot: OverviewSnapshot) -> list[TeamRow]:
    names = dict(SupportTeam.objects.values_list("pk", "name"))
    rows = []
    for key, figures in snapshot.data["teams"].items():
        team = int(key)
        opened = figures["open"]
        rows.append(
            TeamRow(
                name=names.get(team, "") if team != NO_TEAM else _("No team yet"),
                seller=opened[Turn.SELLER],
                support=opened[Turn.SUPPORT],
                nobody=opened[Turn.NOBODY],
                total=sum(opened.values()),
                first_response=duration_text(figures["first_response_median"]),
                first_responses=figures["first_responses"],
                resolution=duration_text(figures["resolution_median"]),
                resolutions=figures["resolutions"],
            )
        )
    return sorted(rows, key=lambda row: (-row.support, row.name))


def chart(snapshot: OverviewSnapshot) -> Chart:
    days = snapshot.data["days"]
    plot, height, base, bar = 640, 180, 160.0, 8.0
    width = plot + 60  # room for the last day's label
    peak = max([1, *(max(new, resolved) for _day, new, resolved in days)])
    step = plot / max(1, len(days))
    new_bars: list[Bar] = []
    resolved_bars: list[Bar] = []
    ticks: list[Bar] = []
    for index, (day, new, resolved) in enumerate(days):
        x = index * step + 2
        label = formats.date_format(date.fromisoformat(day), "MONTH_DAY_FORMAT")
        for value, bars, offset in ((new, new_bars, 0.0), (resolved, resolved_bars, bar + 1)):
            size = (base - 10) * value / peak
            bars.append(Bar(x=x + offset, y=base - size, height=size, value=value, label=day))
        if index % 5 == 0 or index == len(days) - 1:
            ticks.append(Bar(x=x, y=base + 14, height=0, value=0, label=label))
    return Chart(width, height, base, new_bars, resolved_bars, ticks, peak)
