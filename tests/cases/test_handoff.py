"""The account page and the hand-off of a leaving colleague's cases."""

from __future__ import annotations

import re
import uuid

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cases.models import Case, CaseHistory, CaseState, Membership, SellerAccount
from cases.selectors import cases_hand_off_plan
from cases.services import cases_hand_off
from tests.conftest import make_case, make_user


def team_url(account) -> str:
    return f"/team/{account.pk}/"


@pytest.fixture
def stranded(account, seller, colleague):
    """Two open cases and one recent resolved case owned by the colleague, one expired;
    the colleague is copied on one of the seller's cases."""
    owned = [
        make_case(account, owner=colleague, cc_list=["boss@example.com"]),
        make_case(account, owner=colleague),
        make_case(account, owner=colleague, state=CaseState.RESOLVED, resolved_days_ago=2),
    ]
    expired = make_case(account, owner=colleague, state=CaseState.RESOLVED, resolved_days_ago=90)
    copied = make_case(account, owner=seller, cc_list=["colleague@example.com", "x@example.com"])
    return owned, expired, copied


def test_the_team_page_lists_users_and_their_open_cases(seller_client, account, stranded):
    response = seller_client.get(team_url(account))
    assert response.status_code == 200
    assert "colleague@example.com" in response.text
    assert "seller@example.com" in response.text
    assert ">2</a>" in response.text  # the colleague's open cases (not resolved)


def test_the_team_page_of_another_account_is_404(
    outsider_client, seller_client, account, other_account
):
    assert outsider_client.get(team_url(account)).status_code == 404
    assert outsider_client.post(team_url(account), {}).status_code == 404
    assert seller_client.get("/team/999999/").status_code == 404
    assert seller_client.get(team_url(other_account)).status_code == 404


def test_team_index_goes_to_the_only_account(seller_client, account):
    response = seller_client.get("/team/")
    assert response.status_code == 302
    assert response["Location"] == team_url(account)


def test_the_hand_off_is_confirmed_before_anything_changes(
    seller_client, account, colleague, seller, stranded
):
    _owned, _expired, _copied = stranded
    data = {"from_email": colleague.email, "to_email": seller.email}
    response = seller_client.post(team_url(account), data)
    assert response.status_code == 200
    assert "3 cases owned by colleague@example.com will belong to seller@example.com." in (
        " ".join(response.text.split())
    )
    assert "colleague@example.com will be removed from 1 CC list." in " ".join(
        response.text.split()
    )
    assert not CaseHistory.objects.exists()
    assert Case.objects.filter(primary_email=colleague.email).count() == 4


def test_the_confirmed_hand_off_moves_cases_cleans_cc_and_records_history(
    seller_client, account, colleague, seller, stranded
):
    owned, expired, copied = stranded
    data = {"from_email": colleague.email, "to_email": seller.email, "confirm": "1"}
    response = seller_client.post(team_url(account), data, follow=True)
    assert (
        "3 cases handed from colleague@example.com to seller@example.com; "
        "colleague@example.com removed from 1 CC list." in response.text
    )
    for case in owned:
        case.refresh_from_db()
        assert case.primary_email == seller.email
        assert case.version == 1
        (entry,) = CaseHistory.objects.filter(case=case)
        assert (entry.field, entry.old_value, entry.new_value, entry.actor) == (
            CaseHistory.Field.PRIMARY_EMAIL,
            colleague.email,
            seller.email,
            seller,
        )
    copied.refresh_from_db()
    assert copied.cc_list == ["x@example.com"]
    (entry,) = CaseHistory.objects.filter(case=copied)
    assert entry.field == CaseHistory.Field.CC_LIST
    assert entry.old_value == "colleague@example.com, x@example.com"
    expired.refresh_from_db()
    assert expired.primary_email == colleague.email


def test_a_former_user_can_be_handed_off(seller_client, account, colleague, seller, stranded):
    Membership.objects.filter(user=colleague).delete()
    page = seller_client.get(team_url(account)).text
    assert "no longer an authorized user" in page
    data = {"from_email": colleague.email, "to_email": seller.email, "confirm": "1"}
    seller_client.post(team_url(account), data)
    assert not Case.objects.filter(primary_email=colleague.email, state="open").exists()


def test_it_refuses_someone_who_is_not_a_user_of_the_account(
    seller_client, account, colleague, outsider, stranded
):
    data = {"from_email": colleague.email, "to_email": outsider.email, "confirm": "1"}
    response = seller_client.post(team_url(account), data)
    assert response.status_code == 200
    assert "other@example.com is not an authorized user of this seller account." in response.text
    assert not CaseHistory.objects.exists()
    with pytest.raises(ValidationError, match="not an authorized user"):
        cases_hand_off(
            account=account, actor=colleague, from_email=colleague.email, to_email=outsider.email
        )


def select_options(page: str, name: str) -> list[str]:
    """The values of the options of <select name=`name`> that can be chosen."""
    select = re.search(rf'<select name="{name}".*?</select>', page, re.S)
    assert select is not None, name
    options = re.findall(r'<option value="([^"]*)"([^>]*)>', select.group(0))
    return [value for value, attrs in options if "disabled" not in attrs]


def test_it_refuses_the_same_person(seller_client, account, colleague, stranded):
    data = {"from_email": colleague.email, "to_email": colleague.email}
    response = seller_client.post(team_url(account), data)
    assert response.status_code == 200
    # Under "To", where the choice must change; and "To" no longer offers them.
    assert re.search(
        r'id="error_1_id_to_email"[^>]*>\s*<strong>Choose two different people.', response.text
    )
    assert colleague.email not in select_options(response.text, "to_email")
    assert Case.objects.filter(primary_email=colleague.email).count() == 4  # nothing moved


def test_the_form_does_not_start_on_the_same_person_twice(seller_client, account, stranded):
    page = seller_client.get(team_url(account)).text
    assert select_options(page, "from_email")[0] == ""
    assert select_options(page, "to_email")[0] == ""
    assert "/static/js/hand-off.js" in page  # leaves "from" out of "To" as it is chosen


def test_a_refused_form_does_not_let_the_from_person_be_chosen_in_to(
    seller_client, account, colleague, seller, stranded
):
    data = {"from_email": colleague.email, "to_email": "nobody@example.com"}
    response = seller_client.post(team_url(account), data)
    assert select_options(response.text, "to_email") == ["", seller.email]
    assert select_options(response.text, "from_email")[1:3] == [colleague.email, seller.email]


def test_the_hand_off_is_one_transaction(account, seller, colleague, stranded, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(CaseHistory.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        cases_hand_off(
            account=account, actor=seller, from_email=colleague.email, to_email=seller.email
        )
    assert Case.objects.filter(primary_email=colleague.email).count() == 4
    assert Case.objects.filter(cc_list__icontains="colleague@").count() == 1


def test_another_accounts_cases_are_untouched(account, seller, colleague, other_account):
    other_user = make_user("colleague2@example.com", account=other_account)
    theirs = make_case(other_account, owner=other_user, cc_list=["colleague@example.com"])
    summary = cases_hand_off(
        account=account, actor=seller, from_email=colleague.email, to_email=seller.email
    )
    assert (summary.moved, summary.cc_removed) == (0, 0)
    theirs.refresh_from_db()
    assert theirs.cc_list == ["colleague@example.com"]


# --- addresses with any letters, and people who are only copied ----------------------


@pytest.mark.parametrize("address", ["jane@müller.de", "zoe@zoë.example", "info@παράδειγμα.δοκιμή"])
def test_a_non_ascii_address_is_taken_off_every_cc_list(seller_client, account, seller, address):
    leaving = make_user(address, account=account)
    owned = make_case(account, owner=leaving, cc_list=["boss@example.com"])
    copied = [
        make_case(account, owner=seller, cc_list=[address]),
        make_case(account, owner=seller, cc_list=["x@example.com", address]),
    ]
    # The same letters in a longer address are another person: left alone.
    other = make_case(account, owner=seller, cc_list=[f"a{address}"])
    data = {"from_email": address, "to_email": seller.email, "confirm": "1"}
    response = seller_client.post(team_url(account), data, follow=True)
    assert f"{address} removed from 2 CC lists" in response.text
    assert "1 case handed" in response.text
    for case in copied:
        case.refresh_from_db()
        assert address not in case.cc_list
    owned.refresh_from_db()
    assert owned.primary_email == seller.email
    other.refresh_from_db()
    assert other.cc_list == [f"a{address}"]
    assert leaving.email == address


def test_a_former_user_who_is_only_copied_can_be_chosen_and_removed(
    seller_client, account, seller, colleague
):
    copied = make_case(account, owner=seller, cc_list=["colleague@example.com"])
    Membership.objects.filter(user=colleague).delete()
    page = seller_client.get(team_url(account)).text
    assert '<option value="colleague@example.com">' in page
    assert "colleague@example.com (only on CC lists)" in page
    data = {"from_email": colleague.email, "to_email": seller.email}
    review = seller_client.post(team_url(account), data).text
    assert "colleague@example.com will be removed from 1 CC list." in review
    data["confirm"] = "1"
    response = seller_client.post(team_url(account), data, follow=True)
    assert "colleague@example.com removed from 1 CC list" in response.text
    copied.refresh_from_db()
    assert copied.cc_list == []


def test_an_address_copied_only_on_expired_cases_is_not_offered(seller_client, account, seller):
    make_case(
        account,
        owner=seller,
        state=CaseState.RESOLVED,
        resolved_days_ago=90,
        cc_list=["gone@example.com"],
    )
    assert "gone@example.com" not in seller_client.get(team_url(account)).text


def _valid_address(local: str, label: str) -> str | None:
    from cases.validators import normalize_email

    try:
        return normalize_email(f"{local}@{label}.example")
    except ValidationError:
        return None


@settings(max_examples=25, deadline=None, derandomize=True, database=None)
@given(
    local=st.from_regex(r"[a-z][a-z0-9._-]{0,10}", fullmatch=True),
    label=st.text(alphabet=st.characters(categories=["Ll", "Lo", "Nd"]), min_size=1, max_size=12),
)
@pytest.mark.django_db
def test_the_hand_off_finds_an_address_with_any_letters_on_every_cc_list(local, label):
    address = _valid_address(local, label)
    assume(address is not None)
    account = SellerAccount.objects.create(name=f"Shop {uuid.uuid4()}")
    owner = make_user(f"owner-{uuid.uuid4().hex[:8]}@example.com", account=account)
    on_it = make_case(account, owner=owner, cc_list=["first@example.com", address])
    near = make_case(account, owner=owner, cc_list=[f"x{address}"])
    plan = cases_hand_off_plan(account=account, from_email=address)
    assert [case.pk for case in plan.copied] == [on_it.pk]
    assert near.pk not in [case.pk for case in plan.copied]
