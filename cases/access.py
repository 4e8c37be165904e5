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
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from cases.models import Case, Membership, SellerAccount

_CACHE_ATTR = "_caselog_account_ids"


def account_ids_for(user: Any) -> list[int]:
    """The ids of the seller accounts `user` is an authorized user of (cached per request)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = sorted(
            Membership.objects.filter(user_id=user.pk).values_list("account_id", flat=True)
        )
        setattr(user, _CACHE_ATTR, cached)
    return cached


def remember_account_ids(user: Any, account_ids: list[int]) -> None:
    """Cache the user's account ids read by another query of the same request."""
    if getattr(user, _CACHE_ATTR, None) is None:
        setattr(user, _CACHE_ATTR, sorted(set(account_ids)))


def accounts_of(user: Any) -> QuerySet[SellerAccount]:
    return SellerAccount.objects.filter(pk__in=account_ids_for(user))


def is_member(user: Any, account_id: int) -> bool:
    """Whether `user` is an authorized user of the seller account `account_id`."""
    return account_id in account_ids_for(user)


def is_support_staff(user: Any) -> bool:
    """Seller Support agents (staff allowed to view cases) see every account's cases,
    in the admin, through the support door."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_staff
        and user.has_perm("cases.view_case")
    )


def cases_visible_to(user: Any) -> QuerySet[Case]:
    """The seller door: the cases of the user's seller accounts (staff included)."""
    account_ids = account_ids_for(user)
    if not account_ids:
        return Case.objects.none()
    if len(account_ids) == 1:
        # An equality lets the database walk one account's index in order.
        return Case.objects.filter(account_id=account_ids[0])
    return Case.objects.filter(account_id__in=account_ids)


def cases_for_support(user: Any) -> QuerySet[Case]:
    """The support door: every case for a Seller Support agent, none for anyone else."""
    if is_support_staff(user):
        return Case.objects.all()
    return Case.objects.none()


def get_case_for_user(user: Any, case_id: int | str, *, for_update: bool = False) -> Case:
    """A case of one of the user's seller accounts, or 404."""
    return _get(cases_visible_to(user), case_id, for_update=for_update)


def get_case_for_support(user: Any, case_id: int | str, *, for_update: bool = False) -> Case:
    """Any case, for a Seller Support agent; 404 for anyone else."""
    return _get(cases_for_support(user), case_id, for_update=for_update)


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
