"""Every URL that takes an ID or a token, walked from the URL resolver.

For each one: a user of another account gets exactly what a missing object gets
(404 where the method is allowed) and changes nothing; an anonymous visitor is
sent to the login page; the right user succeeds. A new ID-taking URL that this
file does not know how to fill makes the test fail: add it to ROUTES.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import make_case
from tests.security.conftest import World

# Included URL sets not walked here, and why.
ALLOWED_UNWALKED = {
    "admin": "the Django admin: staff only, behind admin_view and model permissions; "
    "tests/cases/test_admin.py checks sellers and non-agent staff are kept out",
    "django.contrib.auth.urls": "Django's login, logout and password views: no object IDs "
    "(their tokens are Django's own, signed); tests/cases/test_login.py",
    "caselog.account_urls": "the same password views of Django in the site's templates "
    "(public by design, tokens signed by Django); tests/cases/test_password.py",
}


@dataclass(frozen=True)
class Route:
    """How to fill one URL, and what the right user gets for GET and POST."""

    fill: Callable[[World], dict[str, Any]]
    missing: dict[str, Any]
    get: int
    post: int
    post_data: Callable[[World], dict[str, Any]] = field(default=lambda world: {})


def _case(world: World) -> dict[str, Any]:
    return {"case_id": world.case.id}


ROUTES: dict[str, Route] = {
    "cases:detail": Route(_case, {"case_id": 1_000_000_000}, get=200, post=405),
    "cases:edit": Route(
        _case,
        {"case_id": 1_000_000_000},
        get=200,
        post=302,
        post_data=lambda w: {
            "primary_email": w.seller.email,
            "cc_list": "",
            "short_description": "Edited in the access matrix",
            "version": w.case.version,
        },
    ),
    "cases:reply": Route(
        _case,
        {"case_id": 1_000_000_000},
        get=405,
        post=302,
        post_data=lambda w: {"body": "From the access matrix", "submission_id": str(uuid.uuid4())},
    ),
    # The conversation (tests/conversation/): each one is refused or done, then the
    # seller is sent back to the case page.
    "cases:resolve": Route(_case, {"case_id": 1_000_000_000}, get=200, post=302),
    "cases:not_solved": Route(
        _case,
        {"case_id": 1_000_000_000},
        get=405,
        post=302,
        post_data=lambda w: {"reason": "From the access matrix"},
    ),
    "cases:keep_open": Route(_case, {"case_id": 1_000_000_000}, get=405, post=302),
    "cases:escalate": Route(
        _case,
        {"case_id": 1_000_000_000},
        get=405,
        post=302,
        post_data=lambda w: {"reason": "no_answer"},
    ),
    "attachment": Route(
        lambda w: {"token": w.message.attachments.get().token},
        {"token": "no-such-token"},
        get=200,
        post=405,
    ),
    "team": Route(
        lambda w: {"account_id": w.account.id},
        {"account_id": 987_654_321},
        get=200,
        post=200,  # the form, with its errors: nothing handed off
    ),
}


def _source(resolver: URLResolver) -> str:
    if resolver.app_name == "admin":
        return "admin"
    return getattr(resolver.urlconf_name, "__name__", str(resolver.urlconf_name))


def walk(
    patterns: list[Any] | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    """(route, name, pattern) for every URL pattern outside ALLOWED_UNWALKED."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if _source(entry) in ALLOWED_UNWALKED:
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            name = f"{namespace}{entry.name}" if entry.name else ""
            yield prefix + str(entry.pattern), name, entry


def _takes_an_id(pattern: URLPattern) -> bool:
    return bool(getattr(pattern.pattern, "converters", None) or pattern.pattern.regex.groups)


ID_ROUTES = [(route, name) for route, name, pattern in walk() if _takes_an_id(pattern)]
# Plain URLs a visitor may use before logging in, and why.
PUBLIC_ROUTES = {
    "set_language": "the language switcher, offered on the login page: no object, no data; "
    "tests/test_language.py",
}
PLAIN_ROUTES = [
    (route, name)
    for route, name, pattern in walk()
    if not _takes_an_id(pattern) and name not in PUBLIC_ROUTES
]


def test_every_id_taking_url_is_in_the_matrix():
    unknown = [f"{route} (name={name or '—'})" for route, name in ID_ROUTES if name not in ROUTES]
    assert not unknown, f"add these URLs to ROUTES in {__file__}: {unknown}"
    stale = set(ROUTES) - {name for _route, name in ID_ROUTES}
    assert not stale, f"ROUTES lists URLs that no longer exist: {stale}"


def test_every_unwalked_include_still_exists():
    sources = {_source(e) for e in get_resolver().url_patterns if isinstance(e, URLResolver)}
    assert set(ALLOWED_UNWALKED) <= sources


def _snapshot(world: World) -> tuple[Any, ...]:
    case = type(world.case).objects.get(pk=world.case.pk)
    return (case.version, case.state, case.short_description, case.messages.count())


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_an_outsider_gets_what_a_missing_object_gets(name, world, outsider_client, seller_client):
    route = ROUTES[name]
    url = reverse(name, kwargs=route.fill(world))
    missing = reverse(name, kwargs=route.missing)
    before = _snapshot(world)
    for method, expected in [("get", route.get), ("post", route.post)]:
        data = route.post_data(world) if method == "post" else {}
        response = getattr(outsider_client, method)(url, data)
        same_as_missing = getattr(seller_client, method)(missing, data)
        assert response.status_code == same_as_missing.status_code, (name, method)
        assert response.status_code == (405 if expected == 405 else 404), (name, method)
    assert _snapshot(world) == before


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_an_anonymous_visitor_is_sent_to_login(name, world, client):
    route = ROUTES[name]
    url = reverse(name, kwargs=route.fill(world))
    before = _snapshot(world)
    for method in ["get", "post"]:
        data = route.post_data(world) if method == "post" else {}
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, (name, method)
        assert response["Location"].startswith(reverse("login") + "?next="), (name, method)
    assert _snapshot(world) == before


@pytest.mark.parametrize("name", sorted(ROUTES))
@pytest.mark.parametrize("who", ["seller", "colleague"])
def test_the_right_user_succeeds(name, who, world, seller_client, colleague_client):
    client = {"seller": seller_client, "colleague": colleague_client}[who]
    route = ROUTES[name]
    url = reverse(name, kwargs=route.fill(world))
    assert client.get(url).status_code == route.get, name
    assert client.post(url, route.post_data(world)).status_code == route.post, name


@pytest.mark.parametrize(("route", "name"), PLAIN_ROUTES)
def test_every_other_page_needs_a_login(route, name, client):
    response = client.get("/" + route)
    assert response.status_code == 302, route
    follow = client.get(response["Location"])
    # "/" redirects to the log first, which sends the visitor to log in.
    location = follow["Location"] if follow.status_code == 302 else response["Location"]
    assert location.startswith(reverse("login")), route


# --- the log, its filter choices and the export ----------------------------------


@pytest.fixture
def foreign_case(other_account, outsider):
    return make_case(other_account, owner=outsider, short_description="Foreign secret case")


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?email=other@example.com",
        "?q=Foreign",
        "?q={foreign}",
        "?state=open&state=answered&mine=1",
        "?o=-email&per_page=100",
    ],
)
def test_the_log_and_export_never_show_a_foreign_case(query, world, foreign_case, seller_client):
    query = query.format(foreign=foreign_case.id)
    page = seller_client.get("/cases/" + query)
    assert page.status_code == 200
    assert f"/cases/{foreign_case.id}/" not in page.text  # no row links to it
    assert "Foreign secret case" not in page.text
    export = seller_client.get("/cases/export.csv" + query)
    if export.status_code == 302:  # nothing to export in this view
        return
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows[1:], query
    for row in rows[1:]:
        assert row[0] != str(foreign_case.id)
        assert row[3] in {"seller@example.com", "colleague@example.com"}


def test_the_email_filter_offers_only_the_accounts_users(world, foreign_case, seller_client):
    response = seller_client.get("/cases/")
    select = response.text.split('name="email"', 1)[1].split("</select>", 1)[0]
    assert "seller@example.com" in select
    assert "colleague@example.com" in select
    assert "other@example.com" not in select


# --- internal notes (#21.3): agents only, by every path ---------------------------


@pytest.fixture
def note(world, support_agent):
    from correspondence.services import case_note_add
    from tests.correspondence.conftest import pdf

    return case_note_add(
        case=world.case,
        author=support_agent,
        body="Quokkaesque internal remark",
        files=[pdf("internal-audit.pdf")],
    )


@pytest.mark.parametrize("who", ["seller", "colleague", "outsider"])
def test_no_seller_reaches_an_internal_note_or_its_file(
    who, world, note, seller_client, colleague_client, outsider_client
):
    client = {"seller": seller_client, "colleague": colleague_client}.get(who, outsider_client)
    token = note.attachments.get().token
    # The note's file is what a missing file is, even for the case's own account;
    # the seller's own file on the same case still downloads.
    missing = client.get(reverse("attachment", kwargs={"token": "no-such-token"}))
    assert client.get(reverse("attachment", kwargs={"token": token})).status_code == (
        missing.status_code
    )
    assert missing.status_code == 404
    own = client.get(reverse("attachment", kwargs={"token": world.message.attachments.get().token}))
    assert own.status_code == (404 if who == "outsider" else 200)
    page = client.get(reverse("cases:detail", kwargs={"case_id": world.case.id}))
    assert "Quokkaesque" not in page.text
    assert "internal-audit" not in page.text
    for query in ("quokkaesque", "internal-audit"):
        log = client.get("/cases/", {"q": query})
        assert f"/cases/{world.case.id}/" not in log.text, query
        export = client.get("/cases/export.csv", {"q": query})
        if export.status_code == 200:
            text = b"".join(export.streaming_content).decode("utf-8-sig")
            assert str(world.case.id) not in text
            assert "Quokkaesque" not in text
