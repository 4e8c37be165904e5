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


def test_a_page_keeps_its_viewer_on_the_request_not_on_the_user(seller_client, seller, account):
    from cases.access import Viewer

    case = make_case(account, owner=seller)
    response = seller_client.get("/cases/")

    assert response.status_code == 200
    request = response.wsgi_request
    assert isinstance(request.viewer, Viewer)
    assert request.viewer.user is request.user
    assert request.viewer.account_ids == [case.account_id]
    # Nothing hidden on the user object any more (it used to carry the caches).
    user = request.user._wrapped if hasattr(request.user, "_wrapped") else request.user
    assert not [name for name in vars(user) if name.startswith("_caselog")]


def test_one_viewer_reads_its_memberships_once(seller, colleague, django_assert_num_queries):
    from cases.access import Viewer, cases_visible_to

    viewer = Viewer(seller)
    with django_assert_num_queries(1):
        cases_visible_to(viewer)
        cases_visible_to(viewer)
        assert viewer.member_emails == sorted([seller.email, colleague.email])
        assert viewer.attention is not None


def test_a_system_read_finds_a_case_by_id_and_none_once_deleted(seller, account):
    from cases.access import case_for_system

    case = make_case(account, owner=seller)
    assert case_for_system(case.pk) == case
    assert case_for_system(1_234_567_890) is None
