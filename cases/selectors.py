"""Reads of cases (writes are `cases.services`).

- The case log, for the HTML page and the CSV export alike: both call
  `case_log`, so the export is always exactly what the log displays: the cases
  visible to the user → the FilterSet → the default view → the sort.
- The team page: an account's members, its open cases by owner, the addresses
  only on CC lists, and what a hand-off would change (`cases_hand_off_plan`,
  also read under lock by the hand-off service).
- The timers' candidates (`case_timer_ids`).

The language and zone an e-mail to someone is written in: `cases.preferences`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Func, OuterRef, Q, QuerySet, Subquery
from django.http import QueryDict
from django.utils import timezone

from cases.access import (
    AnyUser,
    Viewer,
    as_viewer,
    cases_by_ids_for_page,
    cases_for_system,
    cases_of_checked_account,
    cases_visible_to,
)
from cases.filters import CaseFilter
from cases.log_controls import SortChoice, SortColumn, sort_choices, sort_columns
from cases.models import (
    NOT_CLOSED,
    WAITING_ON_SELLER,
    Case,
    CaseHistory,
    CaseState,
    CaseView,
    Membership,
    SellerAccount,
    User,
    copied_q,
    expired_q,
    not_expired_ranges,
    owned_by_q,
)
from cases.search import match_count
from cases.validators import normalize_email

LOG_COLUMNS = ("id", "created_at", "state", "primary_email", "short_description", "resolved_at")
# The page's rows also read what the table marks: who opened the case and whether
# it changed since the user last looked (see `cases.attention.decorate_log_rows`).
# And what a row says beside the state (`cases.attention.LogRow`): how long support
# has kept the seller waiting against its team's target, escalated, closes in ….
ROW_COLUMNS = (
    *LOG_COLUMNS,
    "last_activity_at",
    "support_activity_at",
    "waiting_since",
    "escalated_at",
    "auto_resolve_at",
    "reminder_sent_at",
    "support_team__response_target_hours",
)
# From this offset on, a page first picks its ids from the covering index, then
# reads those rows: the database skips index entries instead of table rows.
DEFERRED_JOIN_FROM = 1000


class _DeferredJoinList:
    """A sliceable stand-in for the log queryset that Paginator pages through.

    A shallow slice is the queryset's own slice. A deep one (page 2,000 is
    OFFSET 49,975) reads the ids with an index-only walk in a subquery and the 25
    rows by primary key, in one query: `WHERE id IN (SELECT id … LIMIT 25 OFFSET
    49975)`. PostgreSQL would otherwise fetch every skipped row from the heap.
    """

    def __init__(
        self,
        queryset: QuerySet[Case],
        rows: Callable[[QuerySet[Case]], QuerySet[Case]],
        counter: Callable[[], int] | None = None,
    ) -> None:
        self.queryset = queryset
        self.rows = rows  # adds the page's columns and marks to the rows query only
        self.counter = counter or queryset.count  # the same number, maybe by a faster query
        self.total: int | None = None

    def count(self) -> int:
        if self.total is None:
            self.total = self.counter()
        return self.total

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> Any:
        start, stop = key.start or 0, key.stop
        total = self.total
        if total is not None and stop is not None and start > total - stop:
            # Nearer the end: walk from the other end in the reverse order (page
            # 2,000 of 2,076 skips 1,900 entries, not 50,000), then flip the rows.
            rows = self._slice(self.queryset.reverse(), max(0, total - stop), total - start)
            return list(rows)[::-1]
        return self._slice(self.queryset, start, stop)

    def _slice(self, queryset: QuerySet[Case], start: int, stop: int | None) -> QuerySet[Case]:
        key = slice(start, stop)
        if start < DEFERRED_JOIN_FROM:
            return self.rows(queryset)[key]
        # The outer query reads the page's rows by primary key, in the log's order
        # (a sort of 25–100 rows). Repeating the log's filters there would let the
        # planner walk the account's whole index to test `id IN (…)` (SQLite,
        # 10–13 ms at 100,000 cases); the ids already come from the filtered log.
        outer = cases_by_ids_for_page(queryset.values("pk")[key])
        if queryset.query.order_by:
            outer = outer.order_by(*queryset.query.order_by)
        if not queryset.query.standard_ordering:
            outer = outer.reverse()
        return self.rows(outer)


def with_row_marks(queryset: QuerySet[Case], viewer: Viewer) -> QuerySet[Case]:
    """The page's rows with their marks, read in the rows query itself (no second query).

    `opened_by_email` (a left join on the user), the team's response target (a left
    join), `seen_at` (when this user last
    opened the case page: a correlated subquery on the unique (user, case) index)
    and `joined_at` (when the user joined the case's account: the unique (user,
    account) index).
    Only the rows query carries them: the count and the export stay bare.
    """
    seen = CaseView.objects.filter(user_id=viewer.user_id, case_id=OuterRef("pk"))
    joined = Membership.objects.filter(user_id=viewer.user_id, account_id=OuterRef("account_id"))
    # The team's response target rides on the rows query (a left join): `is_overdue`
    # reads it from there, with no query per row.
    return (
        queryset.select_related("support_team")
        .only(*ROW_COLUMNS)
        .annotate(
            opened_by_email=F("opened_by__email"),
            seen_at=Subquery(seen.values("seen_at")[:1]),
            joined_at=Subquery(joined.values("added_at")[:1]),
        )
    )


@dataclass
class CaseLog:
    filterset: CaseFilter
    queryset: QuerySet[Case]
    is_narrowed: bool
    viewer: Viewer | None = None  # None: bare rows, without the page's marks
    counter: Callable[[], int] | None = None  # `queryset.count()` by a faster query

    @property
    def page_size(self) -> int:
        return self.filterset.page_size

    @property
    def columns(self) -> list[SortColumn]:
        return sort_columns(self.filterset.ordering)

    @property
    def sort_choices(self) -> list[SortChoice]:
        return sort_choices(self.filterset.ordering)

    @cached_property
    def paginator(self) -> Paginator:
        viewer = self.viewer
        if viewer is None:
            rows = _DeferredJoinList(self.queryset, lambda qs: qs, self.counter)
        else:
            rows = _DeferredJoinList(
                self.queryset, lambda qs: with_row_marks(qs, viewer), self.counter
            )
        # A sliceable stand-in, not a sequence: Paginator only counts and slices it.
        return Paginator(rows, self.page_size)  # type: ignore[arg-type]

    def page(self, number: Any) -> Page:
        """The page `number`; a malformed number is page 1, one past the end the last page."""
        return self.paginator.get_page(number)


def case_log(
    *, params: QueryDict, viewer: Viewer | None = None, user: AnyUser | None = None
) -> CaseLog:
    """The log of `viewer` (a page's: `cases.access.viewer_for(request)`), or of `user`
    for a caller without a request (a script, the benchmarks): a viewer is made for it.

    The viewer's member e-mails (the owner filter's choices) and account ids come
    from its one memberships query, read here first or earlier in the request.
    """
    if viewer is None:
        if user is None:
            raise TypeError("case_log() needs a viewer or a user")
        viewer = as_viewer(user)
    filterset = CaseFilter(
        params,
        queryset=cases_visible_to(viewer).only(*LOG_COLUMNS),
        viewer=viewer,
    )
    queryset = filterset.qs
    narrowed = filterset.is_narrowed
    if narrowed:
        text = filterset.search_text_alone
        return CaseLog(
            filterset=filterset,
            queryset=queryset,
            is_narrowed=True,
            viewer=viewer,
            counter=(lambda: _search_count(queryset, text, viewer)) if text else None,
        )
    now = timezone.now()
    return CaseLog(
        filterset=filterset,
        queryset=queryset.exclude(expired_q(now)),
        is_narrowed=False,
        viewer=viewer,
        counter=lambda: count_by_parts(queryset, not_expired_ranges(now)),
    )


def _search_count(queryset: QuerySet[Case], text: str, viewer: Viewer) -> int:
    """The size of a log narrowed by a search alone: counted in the search index
    (`cases.search.match_count`), or by the cases where the match is more than terms."""
    found = match_count(text, account_ids=viewer.account_ids)
    return queryset.count() if found is None else found


def count_by_parts(queryset: QuerySet[Case], parts: list[Q]) -> int:
    """`queryset.filter(part_1 | part_2 | …).count()` for disjoint parts, in one
    query: a COUNT per part, joined by UNION ALL, so each is a range of an index."""
    counts = [
        queryset.filter(part).order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
        for part in parts
    ]
    return sum(row["n"] for row in counts[0].union(*counts[1:], all=True).order_by())


# --- the team page ------------------------------------------------------------


def open_case_counts(user: Any, account: SellerAccount) -> dict[str, int]:
    """The account's unresolved cases, counted by owner e-mail (the team page; one query)."""
    rows = (
        cases_visible_to(user)
        .filter(account=account)
        .filter(state__in=NOT_CLOSED)
        .values_list("primary_email")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return dict(rows)


def copied_only_emails(user: Any, account: SellerAccount, known: set[str]) -> list[str]:
    """Addresses on the CC lists of the account's current cases that are neither an
    authorized user nor an owner: a former colleague who owns nothing but is still
    copied (and so still mailed), or an outside address. One query; no row per case."""
    lists = (
        cases_visible_to(user)
        .filter(account=account)
        .exclude(expired_q())
        .exclude(cc_list=[])
        .values_list("cc_list", flat=True)
    )
    return sorted({address for cc_list in lists.iterator() for address in cc_list} - known)


# --- reads for the services and the team page ---------------------------------
# Not through the access door: the caller has one account (checked) or acts for
# no user (the timers).


def account_member_emails(account_id: int) -> list[str]:
    return sorted(
        Membership.objects.filter(account_id=account_id).values_list("user__email", flat=True)
    )


@dataclass(frozen=True)
class HandOffPlan:
    """What a hand-off from `from_email` changes: cases it owns, CC lists it is on."""

    from_email: str
    owned: list[Case]
    copied: list[Case]


def cases_hand_off_plan(
    *, account: SellerAccount, from_email: str, lock: bool = False
) -> HandOffPlan:
    """The account's cases a hand-off from `from_email` would change.

    Expired cases are read-only records and keep their owner and CC list.
    """
    email = normalize_email(from_email)
    # The account is the caller's (checked by the team page and by `cases_hand_off`).
    queryset = (
        cases_of_checked_account(account)
        .filter(owned_by_q(email) | copied_q(email))
        .exclude(expired_q())
        .order_by("-created_at", "-id")
    )
    if lock:
        queryset = queryset.select_for_update()
    cases = list(queryset)
    return HandOffPlan(
        from_email=email,
        owned=[case for case in cases if case.is_owned_by(email)],
        copied=[case for case in cases if case.copies(email)],
    )


def announced_q() -> Q:
    """Cases whose reminder went out (all of them when reminders are turned off)."""
    if settings.CASELOG_REMINDER_BEFORE_DAYS == 0:
        return Q()
    return Q(reminder_sent_at__isnull=False)


def case_timer_ids(*, now: datetime) -> tuple[list[int], list[int]]:
    """(cases whose reminder is due, cases whose clock ran out), soonest first.

    Only candidates: `case_claim_reminder` and `case_auto_resolve` decide under
    a lock or a conditional update, so a case changed since is left alone.
    """
    # The timers act for no user: every account's cases.
    running = cases_for_system().filter(state__in=WAITING_ON_SELLER, auto_resolve_at__isnull=False)
    remind_by = now + timedelta(days=settings.CASELOG_REMINDER_BEFORE_DAYS)
    reminders = running.filter(reminder_sent_at__isnull=True, auto_resolve_at__lte=remind_by)
    if settings.CASELOG_REMINDER_BEFORE_DAYS == 0:  # reminders turned off
        reminders = reminders.none()
    ends = running.filter(announced_q(), auto_resolve_at__lte=now)
    return (
        list(reminders.order_by("auto_resolve_at").values_list("pk", flat=True)),
        list(ends.order_by("auto_resolve_at").values_list("pk", flat=True)),
    )


def support_agents() -> QuerySet[User]:
    """The agents a case can be assigned to: active staff who may act on cases
    (the "Support agents" group's permission, their own, or a superuser)."""
    acts = Q(codename="act_on_case", content_type__app_label="cases")
    permission = Permission.objects.filter(acts)
    return (
        User.objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__in=permission)
            | Q(user_permissions__in=permission)
        )
        .distinct()
        .order_by("email")
    )


def automatic_resolution(case: Case, history: Iterable[CaseHistory]) -> CaseHistory | None:
    """The history row of the state change that closed `case`, when the system made
    it (the automatic resolution, `CaseEvent.AUTO_RESOLVED`, is the one state change
    without an actor); None otherwise. `history`: the case's rows, oldest first, as
    its page reads them anyway."""
    if not case.is_closed:
        return None
    last = None
    for entry in history:
        if entry.field == CaseHistory.Field.STATE:
            last = entry
    if last is None or last.actor_id is not None or last.new_value != CaseState.RESOLVED:
        return None
    return last
