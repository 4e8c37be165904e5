"""One door to a case: another account's case and a missing case are the same 404."""

from __future__ import annotations

import pytest
from django.http import Http404

from cases.access import cases_visible_to, get_case_for_user
from tests.conftest import make_case


def test_a_seller_and_a_colleague_see_the_accounts_cases(seller, colleague, account):
    case = make_case(account, owner=seller)
    assert get_case_for_user(seller, case.id) == case
    assert get_case_for_user(colleague, case.id) == case


def test_an_outsider_gets_404_exactly_as_for_a_missing_case(outsider, account, seller):
    case = make_case(account, owner=seller)
    with pytest.raises(Http404) as foreign:
        get_case_for_user(outsider, case.id)
    with pytest.raises(Http404) as missing:
        get_case_for_user(outsider, 1_234_567_890)
    assert str(foreign.value) == str(missing.value)


@pytest.mark.parametrize("bad", ["abc", None, "", "1e3"])
def test_malformed_ids_are_404(seller, bad):
    with pytest.raises(Http404):
        get_case_for_user(seller, bad)


def test_staff_without_membership_see_no_seller_case(agent, account, seller):
    make_case(account, owner=seller)
    assert list(cases_visible_to(agent)) == []


def test_anonymous_sees_nothing(account, seller):
    from django.contrib.auth.models import AnonymousUser

    make_case(account, owner=seller)
    assert list(cases_visible_to(AnonymousUser())) == []


def test_case_page_is_404_for_outsider_and_200_for_colleague(
    outsider_client, colleague_client, account, seller
):
    case = make_case(account, owner=seller)
    assert outsider_client.get(f"/cases/{case.id}/").status_code == 404
    assert outsider_client.get("/cases/1234567890/").status_code == 404
    response = colleague_client.get(f"/cases/{case.id}/")
    assert response.status_code == 200
    assert str(case.id) in response.text


def test_case_page_requires_login(client, account, seller):
    case = make_case(account, owner=seller)
    response = client.get(f"/cases/{case.id}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
