"""The one door to a case.

Every read of a case on behalf of a user goes through here, by one of two doors:

- the seller door (`cases_visible_to`, `get_case_for_user`): the cases of the
  seller accounts the user is an authorized user of, and nothing else, whoever
  the user is. Staff are no exception: an agent who is not a member of an
  account never sees its cases on the seller pages, so never writes as a seller.
- the support door (`cases_for_support`, `get_case_for_support`): every case, for
  Seller Support agents (staff allowed to view cases), used by the admin only.

Another account's case and a case that does not exist give the same 404, so a
seller cannot learn that a case number exists by guessing it.

A page asks on behalf of its request's `Viewer` (`viewer_for(request)`): the user
and what the request has read about them (their accounts, the accounts' users,
the cases waiting on them), read once, in one query, and passed along. Code
without a request (services, tasks, scripts) passes the user itself.

Two reads do not start from a user, and are named for why they are safe:
`cases_by_ids_for_page` (ids a door already chose) and `case_for_system` (the
system's own jobs, which act for nobody).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import F, Func, QuerySet, Subquery
from django.http import Http404, HttpRequest

from cases.models import (
    Case,
    Membership,
    SellerAccount,
    User,
    needs_attention_q,
    owned_by_q,
)

# Whom a read is for: the request's user (`request.user`), or a user of code without a request.
AnyUser = User | AnonymousUser


class AuthenticatedHttpRequest(HttpRequest):
    """The request of a signed-in user: every page but those marked
    `login_not_required` (LoginRequiredMiddleware). Only for the type checker
    (django-stubs' pattern): it says views may pass `request.user` to services."""

    user: User


@dataclass(frozen=True)
class Attention:
    """Cases of the user's accounts that wait on a seller, and how many the user owns."""

    total: int
    mine: int


@dataclass(frozen=True)
class _Memberships:
    account_ids: list[int]
    member_emails: list[str]
    attention: Attention | None  # None: a member of no seller account


class Viewer:
    """Who is asking, and what this request has read about them.

    Built once per request (`viewer_for`) and passed to every read made on the
    user's behalf. Its three values come from one query, on first use, whichever
    is asked first (`_memberships`): a log page is then 5 queries (session, user,
    this, the count, the rows), and any other seller page reads the header's
    count here too.

    - `account_ids`: the seller accounts the user is an authorized user of;
    - `member_emails`: every authorized user of those accounts (filter choices);
    - `attention`: the header's "needs your attention" counts (None for a
      member of no account: an agent, a removed user).
    """

    def __init__(self, user: AnyUser) -> None:
        self.user = user

    def __repr__(self) -> str:
        return f"Viewer({self.user!r})"

    @property
    def is_authenticated(self) -> bool:
        return bool(self.user.is_authenticated)

    @property
    def email(self) -> str:
        """The user's e-mail address; blank for an anonymous user."""
        return getattr(self.user, "email", "")

    @property
    def user_id(self) -> int:
        """The user's id; 0 (no row's) for an anonymous user."""
        return self.user.pk or 0

    @property
    def account_ids(self) -> list[int]:
        return self._memberships.account_ids

    @property
    def member_emails(self) -> list[str]:
        return self._memberships.member_emails

    @property
    def attention(self) -> Attention | None:
        return self._memberships.attention

    @cached_property
    def _memberships(self) -> _Memberships:
        user = self.user
        if not user.is_authenticated:
            return _Memberships(account_ids=[], member_emails=[], attention=None)
        own_accounts = Membership.objects.filter(user_id=user.pk).values("account_id")
        # The cases waiting on a seller of the user's accounts, as `cases_visible_to`
        # would read them, but as a subquery: it needs no account ids first. Two
        # uncorrelated scalar subqueries, evaluated once, index-only on
        # `case_acct_state_email`.
        needs = Case.objects.filter(needs_attention_q(), account_id__in=own_accounts).order_by()
        rows = list(
            Membership.objects.filter(account__memberships__user_id=user.pk)
            .annotate(
                attention_total=_count_of(needs),
                attention_mine=_count_of(needs.filter(owned_by_q(self.email))),
            )
            .values_list("account_id", "user__email", "attention_total", "attention_mine")
        )
        return _Memberships(
            account_ids=sorted({row[0] for row in rows}),
            member_emails=sorted({row[1] for row in rows}),
            attention=Attention(total=rows[0][2] or 0, mine=rows[0][3] or 0) if rows else None,
        )


def _count_of(queryset: QuerySet[Case]) -> Subquery:
    # COUNT as a plain function: no GROUP BY, one row even when nothing matches.
    return Subquery(queryset.annotate(n=Func(F("pk"), function="COUNT")).values("n"))


def viewer_for(request: HttpRequest) -> Viewer:
    """The request's viewer: built on first use, then the same object for the whole
    request (kept as `request.viewer`), so its memberships are read once."""
    viewer = getattr(request, "viewer", None)
    # A login or logout during the request changes `request.user`: a new viewer.
    if not isinstance(viewer, Viewer) or viewer.user is not request.user:
        viewer = Viewer(request.user)
        request.viewer = viewer  # type: ignore[attr-defined]  # django-stubs: no such attribute
    return viewer


def as_viewer(who: Viewer | AnyUser) -> Viewer:
    """`who` as a viewer: the request's own, or a new one for a bare user."""
    return who if isinstance(who, Viewer) else Viewer(who)


def accounts_of(who: Viewer | AnyUser) -> QuerySet[SellerAccount]:
    return SellerAccount.objects.filter(pk__in=as_viewer(who).account_ids)


def is_member(user: AnyUser, account_id: int) -> bool:
    """The membership rule: whether `user` is an authorized user of seller account
    `account_id`, read now (a write checks it afresh, not from the page's read)."""
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(user_id=user.pk, account_id=account_id).exists()


def is_support_staff(user: AnyUser) -> bool:
    """Seller Support agents (staff allowed to view cases) see every account's cases,
    in the admin, through the support door."""
    return bool(
        isinstance(user, User)
        and user.is_active
        and user.is_staff
        and user.has_perm("cases.view_case")
    )


def cases_visible_to(who: Viewer | AnyUser) -> QuerySet[Case]:
    """The seller door: the cases of the user's seller accounts (staff included)."""
    if not isinstance(who, Viewer):
        if not who.is_authenticated:
            return Case.objects.none()
        # No viewer to remember the accounts: read them in the same query.
        own_accounts = Membership.objects.filter(user_id=who.pk).values("account_id")
        return Case.objects.filter(account_id__in=own_accounts)
    account_ids = who.account_ids
    if not account_ids:
        return Case.objects.none()
    if len(account_ids) == 1:
        # An equality lets the database walk one account's index in order.
        return Case.objects.filter(account_id=account_ids[0])
    return Case.objects.filter(account_id__in=account_ids)


def cases_for_support(user: AnyUser) -> QuerySet[Case]:
    """The support door: every case for a Seller Support agent, none for anyone else."""
    if is_support_staff(user):
        return Case.objects.all()
    return Case.objects.none()


def get_case_for_user(
    who: Viewer | AnyUser, case_id: int | str, *, for_update: bool = False
) -> Case:
    """A case of one of the user's seller accounts, or 404."""
    return _get(cases_visible_to(who), case_id, for_update=for_update)


def get_case_for_support(user: AnyUser, case_id: int | str, *, for_update: bool = False) -> Case:
    """Any case, for a Seller Support agent; 404 for anyone else."""
    return _get(cases_for_support(user), case_id, for_update=for_update)


def cases_by_ids_for_page(ids: QuerySet[Case, Any]) -> QuerySet[Case]:
    """The cases whose ids `ids` lists, read by primary key alone (the log's deep pages).

    Safe because `ids` is itself a subquery of a queryset that came through a
    door (`cases.selectors._DeferredJoinList` pages the log's own queryset):
    every id in it is one the viewer may see. Repeating the door's filter here
    would only let the planner walk the account's whole index to test `id IN (…)`.
    """
    return Case._base_manager.filter(pk__in=ids)


def case_for_system(case_id: int) -> Case | None:
    """A case by its ID for the system's own jobs (timers, queued e-mails), or None
    when it was deleted since.

    Safe because no user asked: the ID comes from a row the system wrote (a timer's
    candidate, a queued task's argument), never from a request, and what the job
    does with it (a reminder, an e-mail to the case's own owner) is decided by
    the case itself.
    """
    return Case.objects.filter(pk=case_id).first()


def cases_for_system() -> QuerySet[Case]:
    """Every account's cases, for the system's own jobs that act for no user (the
    conversation's timers pick candidates here). Same reasoning as
    `case_for_system`: no request chooses what is read."""
    return Case.objects.all()


def cases_of_checked_account(account: SellerAccount) -> QuerySet[Case]:
    """An account's cases (expired ones included) for a caller that has already
    checked the user is a member (the team page's hand-off: `check_member`)."""
    return Case.objects.filter(account=account)


def _get(queryset: QuerySet[Case], case_id: int | str, *, for_update: bool) -> Case:
    try:
        case_pk = int(case_id)
    except (TypeError, ValueError):
        raise Http404("No such case.") from None
    if for_update:
        queryset = queryset.select_for_update()
    try:
        return queryset.get(pk=case_pk)
    except Case.DoesNotExist:
        raise Http404("No such case.") from None
