"""Odd values get a clear answer, never a server error (issue 23, item 6).

- A NUL character anywhere in a request (path, query, form field, header):
  PostgreSQL refuses it in text, so it is refused with a 400 page before any
  view, filter or session reads it. Walked over every URL of the resolver (the
  seller pages with a NUL in each part of the path and in a query value) and
  every admin list, as a seller and as an agent.
- The admin's date filters (the drill-down's year, month and day, the date
  filter's bounds) out of what Python and the databases can hold are refused as
  any bad filter is: the list's "?e=1" page.
- A user in no account (a former member) gets empty pages, never an error.
- The same admin reply form sent twice, one after the other or at once, saves one
  message and says the second was already sent.
"""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, reverse

from cases.models import CaseState
from correspondence.models import Message
from tests.conftest import make_case, make_user
from tests.reliability.test_concurrency import at_once
from tests.security.conftest import World
from tests.security.test_access_matrix import ROUTES, walk

NUL_REASON = "null character"
ADMIN_LIST = "/admin/cases/case/"


def _client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _seller_urls_with_a_nul(world: World) -> list[str]:
    """Every seller URL of the resolver: each part of its path a NUL in turn (where it
    takes one), and a NUL in a query value."""
    urls = []
    for _route, name, pattern in walk():
        converters = getattr(pattern.pattern, "converters", {})
        if name in ROUTES:
            kwargs = ROUTES[name].fill(world)
            url = reverse(name, kwargs=kwargs)
            for key in converters:
                urls.append(url.replace(f"/{kwargs[key]}/", "/%00/", 1))
        elif name:
            url = reverse(name)
        else:
            continue
        urls += [f"{url}?q=a%00b", f"{url}?state=%00", f"{url}?x%00=1"]
    return urls


def _admin_urls_with_a_nul(world: World) -> list[str]:
    token = world.message.attachments.get().token
    urls = [
        "/admin/correspondence/attachment/%00/download/",
        f"/admin/correspondence/attachment/{token}%00/download/",
        f"{ADMIN_LIST}?state__exact=a%00",
        f"{ADMIN_LIST}export.csv?state__exact=a%00",
        f"{ADMIN_LIST}{world.case.pk}/reply/?saved=%00",
        f"{ADMIN_LIST}?created_at__year=%00",
    ]
    for model in admin.site._registry:
        try:
            changelist = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
            )
        except NoReverseMatch:  # an admin without a list (the attachments)
            continue
        urls += [f"{changelist}?q=a%00", f"{changelist}?o=%00", f"{changelist}?p=1%00"]
    return urls


def _assert_refused(response, url: str) -> None:
    assert response.status_code == 400, url
    assert NUL_REASON in response.content.decode(), url


def test_a_nul_anywhere_in_a_sellers_address_is_a_400(world, seller_client):
    for url in _seller_urls_with_a_nul(world):
        _assert_refused(seller_client.get(url), url)


def test_a_nul_anywhere_in_an_agents_address_is_a_400(world, support_agent):
    client = _client(support_agent)
    for url in _admin_urls_with_a_nul(world) + _seller_urls_with_a_nul(world):
        _assert_refused(client.get(url), url)


def test_a_nul_in_a_form_field_saves_nothing(world, seller_client, support_agent):
    case, before = world.case, world.case.messages.count()
    reply = reverse("cases:reply", kwargs={"case_id": case.pk})
    fields = {"body": "Hello", "submission_id": str(uuid.uuid4())}
    sent = [
        (seller_client, reply, {**fields, "subject": "a\x00b"}),
        (seller_client, reply, {**fields, "x\x00": "1"}),
        (seller_client, "/cases/new/", {"subject": "\x00", "body": "x", "check": "1"}),
        (seller_client, "/accounts/profile/", {"time_zone": "Europe/Paris\x00"}),
        (_client(support_agent), f"{ADMIN_LIST}{case.pk}/reply/", {"body": "\x00"}),
        (_client(support_agent), ADMIN_LIST, {"action": "resolve_cases\x00", "index": "0"}),
        (Client(), "/accounts/login/", {"username": "seller@example.com\x00", "password": "x"}),
    ]
    for client, url, data in sent:
        _assert_refused(client.post(url, data), url)
    assert case.messages.count() == before


def test_a_nul_in_a_header_or_cookie_is_a_400_without_reading_the_session(seller_client):
    seller_client.cookies[settings.SESSION_COOKIE_NAME] = "abcdefgh\x00ijkl"
    response = seller_client.get("/cases/", HTTP_USER_AGENT="a\x00b")
    _assert_refused(response, "/cases/ (headers)")


def test_values_without_a_nul_still_reach_the_pages(world, seller_client):
    assert seller_client.get("/cases/?q=%01%7F").status_code == 200
    assert seller_client.get("/attachments/no-such-token/").status_code == 404


# --- the admin's date filters ------------------------------------------------------

BAD_DATE_FILTERS = [
    "created_at__year=9999",
    "created_at__year=1",
    "created_at__year=0",
    "created_at__year=-5",
    "created_at__year=3000000000",
    "created_at__year=" + "٢" * 10,  # ten Arabic-Indic digits
    "created_at__year=" + "２" * 4,  # full-width digits: int() reads them, a URL should not
    "created_at__year=2026&created_at__month=13",
    "created_at__year=2026&created_at__month=0",
    "created_at__year=2026&created_at__month=99999999999999999999",
    "created_at__year=2026&created_at__month=1&created_at__day=32",
    "created_at__year=2026&created_at__month=2&created_at__day=30",
    "created_at__year=2026&created_at__month=%C2%B2",  # a superscript two
    "created_at__gte=0001-01-01",
    "created_at__gte=0001-01-01+00:00:00%2B14:00",
    "created_at__lt=9999-12-31+23:59:59",
    "created_at__lt=9999-12-31+23:59:59-14:00",
    "created_at__gte=not-a-date",
    "created_at__gte=2026-02-30",
    "created_at=0001-01-01",
]


@pytest.mark.parametrize("query", BAD_DATE_FILTERS)
def test_a_date_filter_out_of_range_is_refused_as_a_bad_filter(
    query, support_agent, account, seller
):
    make_case(account, owner=seller)
    client = _client(support_agent)
    for url in [f"{ADMIN_LIST}?{query}", f"{ADMIN_LIST}export.csv?{query}"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{ADMIN_LIST}?e=1", url


@pytest.mark.parametrize(
    "query",
    [
        "created_at__year=2026",
        "created_at__year=9998",
        "created_at__year=2",
        "created_at__year=2026&created_at__month=12&created_at__day=31",
        "created_at__year=2024&created_at__month=2&created_at__day=29",
        "created_at__gte=2026-01-01+00:00:00%2B01:00&created_at__lt=2026-02-01+00:00:00%2B01:00",
        "created_at__isnull=True",
    ],
)
def test_a_date_filter_in_range_lists_cases(query, support_agent, account, seller):
    make_case(account, owner=seller)
    assert _client(support_agent).get(f"{ADMIN_LIST}?{query}").status_code == 200


def test_every_admin_list_uses_the_checked_change_list(support_agent):
    from caselog.admin_site import CheckedChangeList

    request = Client().get("/").wsgi_request
    for model, model_admin in admin.site._registry.items():
        assert model_admin.get_changelist(request) is CheckedChangeList, model


# --- a user in no account ------------------------------------------------------------


@pytest.fixture
def former_member(db):
    """Someone whose membership was removed: signed in, in no account."""
    return make_user("former@example.com")


SELLER_PAGES = [
    "/cases/",
    "/cases/?q=refund",
    "/cases/?q=12345678",
    "/cases/?state=open&mine=1&cc=1&opened_by_me=1&o=-activity",
    "/cases/?email=seller@example.com",
    "/cases/export.csv",
    "/cases/export.csv?q=refund",
    "/cases/help/",
    "/cases/new/",
    "/cases/new/?related=1",
    "/cases/similar/?subject=refund",
    "/cases/similar/?subject=",
    "/team/",
    "/accounts/profile/",
]


def test_a_user_in_no_account_never_gets_an_error(former_member, account, seller):
    make_case(account, owner=seller, short_description="Refund of order 12345678")
    client = _client(former_member)
    for url in SELLER_PAGES:
        assert client.get(url).status_code < 500, url
    posts = [
        ("/cases/new/", {"subject": "refund", "body": "x", "check": "1"}),
        ("/cases/new/", {"subject": "refund", "body": "x", "submission_id": str(uuid.uuid4())}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code < 500, url
    assert not Message.objects.exists()


def test_similar_cases_for_a_user_in_no_account_is_an_empty_list(former_member, account, seller):
    make_case(account, owner=seller, short_description="Refund of order 12345678")
    response = _client(former_member).get("/cases/similar/?subject=refund")
    assert response.status_code == 200
    assert "Refund of order" not in response.text


# --- the same admin reply sent twice ------------------------------------------------


def _agent_reply(client: Client, case, token: str):
    data = {"body": "Refunded.", "submission_id": token}
    return client.post(f"{ADMIN_LIST}{case.pk}/reply/", data, follow=True)


def test_the_same_admin_reply_sent_again_says_already_sent(support_agent, account, seller):
    case = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    client, token = _client(support_agent), str(uuid.uuid4())
    first, second = _agent_reply(client, case, token), _agent_reply(client, case, token)
    assert first.status_code == second.status_code == 200
    assert "Your reply was sent to the seller." in first.text
    assert "This reply was already sent." in second.text
    assert Message.objects.filter(case=case).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="the in-memory SQLite test database answers 'table is locked' instead of "
    "waiting (see tests/reliability/test_concurrency.py)",
)
def test_the_same_admin_reply_sent_five_times_at_once_saves_one(support_agent, account, seller):
    case = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    token = str(uuid.uuid4())
    clients = [_client(support_agent) for _ in range(5)]
    results = at_once(*[lambda c=c: _agent_reply(c, case, token) for c in clients])
    statuses = [getattr(r, "status_code", repr(r)) for r in results]
    assert statuses == [200] * 5
    texts = [r.text for r in results]
    assert sum("Your reply was sent to the seller." in t for t in texts) == 1
    assert sum("This reply was already sent." in t for t in texts) == 4
    assert Message.objects.filter(case=case).count() == 1


def test_the_refusal_is_in_french_for_a_french_user(seller_client):
    response = seller_client.get("/cases/?q=%00", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert "caractère nul" in response.content.decode()
