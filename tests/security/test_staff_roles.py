"""Staff on the seller pages: agents work in the admin, never as a seller.

Every seller page, walked from the URL resolver, as each staff role that is not
a member of the case's account (support agent, view-only staff, superuser, staff
with no case permission), by GET and POST: the answer is a redirect to the
admin's page for the same case or file (or the admin's case list, or the admin
index for staff who may not see cases), and nothing is saved. A staff user who is
a member of an account acts there as that seller, and only there.
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client
from django.urls import reverse

from caselog.seller_pages import seller_page
from cases.models import Case, CaseState, Membership
from cases.services import case_update, cases_hand_off
from correspondence.models import Message
from correspondence.services import case_open, message_post
from tests.conftest import make_case, make_user, support_agents_group
from tests.security.test_access_matrix import PUBLIC_ROUTES, ROUTES, _snapshot, walk

ROLES = ["agent", "viewer", "superuser", "plain_staff"]
# Pages of every logged-in user, not of the seller side, and why.
USER_PAGES = {
    "profile": "the user's own language and time zone: no case or account data; "
    "tests/cases/test_profile.py",
}


def _staff(role: str) -> Any:
    if role == "agent":
        user = make_user("agent-role@example.com", is_staff=True)
        user.groups.add(support_agents_group())
    elif role == "viewer":
        user = make_user("viewer@example.com", is_staff=True)
        user.user_permissions.add(Permission.objects.get(codename="view_case"))
    elif role == "superuser":
        user = make_user("root@example.com", is_staff=True, is_superuser=True)
    else:
        user = make_user("plain-staff@example.com", is_staff=True)
    return user


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _admin_page(name: str, kwargs: dict[str, Any], role: str) -> str:
    if role == "plain_staff":  # may not see cases: the admin index
        return reverse("admin:index")
    if "case_id" in kwargs:
        return reverse("admin:cases_case_change", args=[kwargs["case_id"]])
    if "token" in kwargs:
        return reverse("admin:correspondence_attachment_download", args=[kwargs["token"]])
    return reverse("admin:cases_case_changelist")


SELLER_PAGES = [
    (route, name)
    for route, name, _pattern in walk()
    if route and name not in PUBLIC_ROUTES and name not in USER_PAGES  # "": the log's redirect
]


def test_every_seller_page_is_wrapped():
    unwrapped = [
        name or route
        for route, name, pattern in walk()
        if route
        and name not in PUBLIC_ROUTES
        and name not in USER_PAGES
        and not getattr(pattern.callback, "is_seller_page", False)
    ]
    assert not unwrapped, f"wrap these views in caselog.seller_pages.seller_page: {unwrapped}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_staff_are_sent_to_the_admin_page_of_the_case(name, role, world):
    route = ROUTES[name]
    kwargs = route.fill(world)
    url = reverse(name, kwargs=kwargs)
    client = _client(_staff(role))
    before = _snapshot(world)
    messages_before = Message.objects.count()
    for method in ["get", "post"]:
        data = route.post_data(world) if method == "post" else {}
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, (name, role, method)
        assert response["Location"] == _admin_page(name, kwargs, role), (name, role, method)
    assert _snapshot(world) == before
    assert Message.objects.count() == messages_before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("route", "name"), [p for p in SELLER_PAGES if p[1] not in ROUTES])
def test_staff_never_get_a_seller_page(route, name, role, world):
    client = _client(_staff(role))
    cases_before = Case.objects.count()
    for method in ["get", "post"]:
        data = {"subject": "As a seller?", "body": "No", "submission_id": str(uuid.uuid4())}
        response = getattr(client, method)("/" + route, data if method == "post" else {})
        assert response.status_code == 302, (route, role, method)
        assert response["Location"] == _admin_page(name, {}, role), (route, role, method)
    assert Case.objects.count() == cases_before


def test_the_agent_lands_in_the_admin_after_login(world):
    agent = _staff("agent")
    response = _client(agent).get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:cases_case_changelist")
    assert "Write to Seller Support" not in response.text


# --- a staff user who is also a member of an account ------------------------------


@pytest.fixture
def member_agent(world):
    agent = _staff("agent")
    Membership.objects.create(user=agent, account=world.account)
    return agent


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_a_staff_member_acts_as_a_seller_of_their_account(name, world, member_agent):
    route = ROUTES[name]
    url = reverse(name, kwargs=route.fill(world))
    client = _client(member_agent)
    assert client.get(url).status_code == route.get, name
    assert client.post(url, route.post_data(world)).status_code == route.post, name


def test_a_staff_member_sees_only_their_accounts_cases_on_the_log(
    world, member_agent, other_account, outsider
):
    foreign = make_case(other_account, owner=outsider, short_description="Foreign secret case")
    client = _client(member_agent)
    page = client.get("/cases/?per_page=100")
    assert page.status_code == 200
    assert f"/cases/{world.case.id}/" in page.text
    assert "Foreign secret case" not in page.text
    export = client.get("/cases/export.csv")
    ids = [row[0] for row in csv.reader(io.StringIO(b"".join(export.streaming_content).decode()))]
    assert str(world.case.id) in ids
    assert str(foreign.id) not in ids
    # A case of another account: the admin's page for it, never the seller form.
    response = client.get(f"/cases/{foreign.id}/edit/")
    assert response["Location"] == reverse("admin:cases_case_change", args=[foreign.id])


# --- the services refuse what the pages would not offer ----------------------------


def test_case_update_refuses_a_non_member(world):
    agent = _staff("superuser")
    with pytest.raises(PermissionDenied):
        case_update(
            case=world.case,
            actor=agent,
            expected_version=world.case.version,
            primary_email=world.seller.email,
            cc_list="spy@evil.example",
            short_description="Hijacked",
        )
    world.case.refresh_from_db()
    assert world.case.cc_list == []
    assert world.case.short_description != "Hijacked"


def test_a_hand_off_by_a_non_member_is_refused(world, colleague):
    with pytest.raises(PermissionDenied):
        cases_hand_off(
            account=world.account,
            actor=_staff("agent"),
            from_email=world.seller.email,
            to_email=colleague.email,
        )
    world.case.refresh_from_db()
    assert world.case.primary_email == world.seller.email


def test_only_members_open_cases_and_write_as_sellers(world):
    agent = _staff("agent")
    with pytest.raises(PermissionDenied):
        case_open(account=world.account, author=agent, subject="Fake", body="Not a seller")
    with pytest.raises(Http404):  # the seller door: no such case for them
        message_post(
            case=world.case,
            author=agent,
            direction=Message.Direction.FROM_SELLER,
            body="Pretending to be the seller",
        )
    assert not Message.objects.filter(body__startswith="Pretending").exists()


@pytest.mark.parametrize("role", ["seller", "viewer"])
def test_only_agents_answer_as_seller_support(role, world):
    author = world.seller if role == "seller" else _staff("viewer")
    with pytest.raises(PermissionDenied):
        message_post(
            case=world.case,
            author=author,
            direction=Message.Direction.FROM_SUPPORT,
            body="Fake support answer",
        )
    assert not Message.objects.filter(body="Fake support answer").exists()


# --- what agents get in the admin instead ------------------------------------------


@pytest.mark.parametrize("role", ["agent", "viewer", "superuser"])
def test_staff_who_see_cases_download_files_in_the_admin(role, world):
    token = world.message.attachments.get().token
    response = _client(_staff(role)).get(
        reverse("admin:correspondence_attachment_download", args=[token])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_admin_download_refuses_others(world, seller_client):
    url = reverse(
        "admin:correspondence_attachment_download", args=[world.message.attachments.get().token]
    )
    assert _client(_staff("plain_staff")).get(url).status_code == 403
    assert seller_client.get(url)["Location"].startswith(reverse("admin:login"))
    missing = reverse("admin:correspondence_attachment_download", args=["no-such-token"])
    assert _client(_staff("agent")).get(missing).status_code == 404


def test_the_admin_case_page_links_files_to_the_admin_download(world):
    response = _client(_staff("agent")).get(
        reverse("admin:cases_case_change", args=[world.case.pk])
    )
    token = world.message.attachments.get().token
    assert reverse("admin:correspondence_attachment_download", args=[token]) in response.text
    assert reverse("attachment", args=[token]) not in response.text


def _export_rows(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_agents_export_the_filtered_admin_case_list(world, other_account, outsider):
    foreign = make_case(other_account, owner=outsider, state=CaseState.OPEN)
    resolved = make_case(other_account, owner=outsider, state=CaseState.RESOLVED)
    client = _client(_staff("agent"))
    changelist = client.get(reverse("admin:cases_case_changelist") + "?state__exact=open")
    assert reverse("admin:cases_case_export") + "?state__exact=open" in changelist.text

    response = client.get(reverse("admin:cases_case_export") + "?state__exact=open")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _export_rows(response)
    assert rows[0][0] == "Case ID"
    assert rows[0][1].startswith("Creation date (")  # the zone of the dates
    assert rows[0][2:] == ["State", "Primary e-mail", "Short description"]
    ids = {row[0] for row in rows[1:]}
    assert str(foreign.id) in ids
    assert str(world.case.id) not in ids  # answered, filtered out
    assert str(resolved.id) not in ids

    everything = _export_rows(client.get(reverse("admin:cases_case_export")))
    assert len(everything) - 1 == Case.objects.count()


def test_the_admin_export_neutralises_formulas(world, other_account, outsider):
    make_case(other_account, owner=outsider, short_description="=HYPERLINK(1)")
    rows = _export_rows(_client(_staff("agent")).get(reverse("admin:cases_case_export")))
    assert "'=HYPERLINK(1)" in [row[4] for row in rows]


def test_the_admin_export_is_for_staff_who_see_cases(world, seller_client):
    url = reverse("admin:cases_case_export")
    assert _client(_staff("plain_staff")).get(url).status_code == 403
    assert seller_client.get(url)["Location"].startswith(reverse("admin:login"))
    assert _client(_staff("agent")).post(url).status_code == 403


def test_a_bad_admin_filter_in_the_export_goes_back_to_the_list(world):
    response = _client(_staff("agent")).get(reverse("admin:cases_case_export") + "?nope=1")
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_seller_page_leaves_sellers_alone(rf, seller):
    calls = []

    def view(request, case_id):
        calls.append(case_id)
        raise Http404

    request = rf.get("/cases/1/")
    request.user = seller
    with pytest.raises(Http404):
        seller_page(view)(request, case_id=1)
    assert calls == [1]


def test_a_seller_cannot_aim_a_formula_at_an_agent_through_the_other_separator(
    world, other_account, outsider
):
    make_case(other_account, owner=outsider, short_description="x ;@SUM(1+1)")
    make_case(other_account, owner=outsider, short_description="x ,=1+1")
    response = _client(_staff("agent")).get(reverse("admin:cases_case_export"))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    for separator in (",", ";"):
        cells = [cell for row in csv.reader(io.StringIO(body), delimiter=separator) for cell in row]
        assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
