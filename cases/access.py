"""The one door to a case.

Every read of a case on behalf of a user goes through here. Another account's
case and a case that does not exist give the same 404, so a seller cannot learn
that a case number exists by guessing it.
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


def is_support_staff(user: Any) -> bool:
    """Seller Support agents (staff allowed to view cases) see every account's cases."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_staff
        and user.has_perm("cases.view_case")
    )


def cases_visible_to(user: Any) -> QuerySet[Case]:
    if is_support_staff(user):
        return Case.objects.all()
    account_ids = account_ids_for(user)
    if not account_ids:
        return Case.objects.none()
    if len(account_ids) == 1:
        # An equality lets the database walk one account's index in order.
        return Case.objects.filter(account_id=account_ids[0])
    return Case.objects.filter(account_id__in=account_ids)


def get_case_for_user(user: Any, case_id: int | str, *, for_update: bool = False) -> Case:
    try:
        case_pk = int(case_id)
    except (TypeError, ValueError):
        raise Http404("No such case.") from None
    queryset = cases_visible_to(user)
    if for_update:
        queryset = queryset.select_for_update()
    try:
        return queryset.get(pk=case_pk)
    except Case.DoesNotExist:
        raise Http404("No such case.") from None
