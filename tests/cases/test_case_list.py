"""The case log /cases/: columns, sorting, filters, default view, pagination."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import STATE_URGENCY, CaseState
from tests.conftest import listed_ids, make_case, make_user

URL = "/cases/"


def ids_of(cases) -> list[int]:
    return [c.id for c in cases]


@pytest.fixture
def mixed(account, seller, colleague):
    """Cases in every state, two owners, one expired and one recently resolved."""
    now = timezone.now()
    cases = {
        "open": make_case(
            account,
            owner=seller,
            short_description="Alpha refund missing",
            created_at=now - timedelta(days=1),
        ),
        "needs": make_case(
            account,
            owner=colleague,
            state=CaseState.NEEDS_ATTENTION,
            short_description="Bravo listing suppressed",
            created_at=now - timedelta(days=3),
        ),
        "pending": make_case(
            account,
            owner=seller,
            state=CaseState.PENDING_SUPPORT,
            short_description="Charlie paiement reçu",
            created_at=now - timedelta(days=5),
        ),
        "recent_resolved": make_case(
            account,
            owner=colleague,
            state=CaseState.RESOLVED,
            resolved_days_ago=2,
            short_description="Delta refund done",
            created_at=now - timedelta(days=10),
        ),
        "expired": make_case(
            account,
            owner=seller,
            state=CaseState.RESOLVED,
            resolved_days_ago=45,
            short_description="Echo old refund",
            created_at=now - timedelta(days=60),
        ),
    }
    return cases


def test_anonymous_users_are_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/cases/")


def test_root_redirects_to_the_log(seller_client):
    response = seller_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/cases/"


def test_it_shows_the_sortable_columns_with_aria_sort(seller_client, mixed):
    response = seller_client.get(URL)
    assert response.status_code == 200
    headers = re.findall(r'<th scope="col" aria-sort="(\w+)"', response.text)
    assert headers == ["descending", "none", "none", "none", "none", "none"]
    labels = ["Creation date", "Case ID", "State", "Primary e-mail", "Short description"]
    for label in [*labels, "Last activity"]:
        assert label in response.text


def test_default_view_is_newest_first_and_hides_expired(seller_client, mixed):
    response = seller_client.get(URL)
    expected = ids_of([mixed[k] for k in ["open", "needs", "pending", "recent_resolved"]])
    assert listed_ids(response) == expected
    assert str(mixed["expired"].id) not in response.text


def test_resolved_case_shows_days_until_expiry(seller_client, mixed):
    response = seller_client.get(URL)
    # Resolved two days ago: 28 days left, less the moments since, so 27 whole days.
    assert "Expires in 27 days" in response.text
    assert "Expires in 28 days" not in response.text


@pytest.mark.parametrize(
    "params",
    [
        {"q": "refund"},
        {"state": "resolved"},
        {"created_from": "2000-01-01"},
        {"email": "seller@example.com"},
        {"mine": "1"},
    ],
)
def test_any_filter_or_search_includes_matching_expired_cases(seller_client, mixed, params):
    response = seller_client.get(URL, params)
    assert mixed["expired"].id in listed_ids(response)
    assert "Expired" in response.text


def test_sort_and_page_size_alone_keep_expired_hidden(seller_client, mixed):
    response = seller_client.get(URL, {"o": "id", "per_page": "50"})
    assert mixed["expired"].id not in listed_ids(response)


SORT_KEYS = {
    "created": lambda c: (c.created_at, c.id),
    "id": lambda c: c.id,
    "state": lambda c: (STATE_URGENCY.index(c.state), c.last_activity_at, c.id),
    "email": lambda c: (c.primary_email, c.id),
    "description": lambda c: (c.short_description, c.id),
    "activity": lambda c: (c.last_activity_at, c.id),
}


@pytest.mark.parametrize("key", list(SORT_KEYS))
@pytest.mark.parametrize("descending", [False, True])
def test_it_sorts_by_each_column_both_ways(seller_client, mixed, key, descending):
    visible = [c for name, c in mixed.items() if name != "expired"]
    expected = ids_of(sorted(visible, key=SORT_KEYS[key], reverse=descending))
    response = seller_client.get(URL, {"o": f"-{key}" if descending else key})
    assert listed_ids(response) == expected
    position = list(SORT_KEYS).index(key)
    headers = re.findall(r'<th scope="col" aria-sort="(\w+)"', response.text)
    assert headers[position] == ("descending" if descending else "ascending")


def test_clicking_a_sorted_header_reverses_it(seller_client, mixed):
    response = seller_client.get(URL, {"o": "id", "state": "open"})
    # The Case ID header now links to the descending sort and keeps the filter.
    link = re.search(
        r'aria-sort="ascending"[^>]*>\s*<a class="sort-link" href="([^"]+)"', response.text
    )
    assert link is not None
    href = link.group(1).replace("&amp;", "&")
    assert "o=-id" in href
    assert "state=open" in href


def test_state_filter_is_repeatable(seller_client, mixed):
    response = seller_client.get(URL + "?state=open&state=needs_attention")
    assert sorted(listed_ids(response)) == sorted(ids_of([mixed["open"], mixed["needs"]]))


def test_text_search_matches_description_case_insensitively(seller_client, mixed):
    response = seller_client.get(URL, {"q": "REFUND"})
    assert sorted(listed_ids(response)) == sorted(
        ids_of([mixed["open"], mixed["recent_resolved"], mixed["expired"]])
    )


def test_text_search_matches_the_case_id(seller_client, mixed):
    response = seller_client.get(URL, {"q": str(mixed["needs"].id)})
    assert listed_ids(response) == [mixed["needs"].id]


def test_created_date_range_includes_both_ends(seller_client, mixed):
    day = timezone.localdate(mixed["pending"].created_at)
    response = seller_client.get(
        URL, {"created_from": day.isoformat(), "created_to": day.isoformat()}
    )
    assert listed_ids(response) == [mixed["pending"].id]


def test_email_filter(seller_client, mixed):
    response = seller_client.get(URL, {"email": "colleague@example.com"})
    assert sorted(listed_ids(response)) == sorted(
        ids_of([mixed["needs"], mixed["recent_resolved"]])
    )


def test_only_my_cases(colleague_client, mixed):
    response = colleague_client.get(URL, {"mine": "1"})
    assert sorted(listed_ids(response)) == sorted(
        ids_of([mixed["needs"], mixed["recent_resolved"]])
    )


def test_filters_combine(seller_client, mixed):
    response = seller_client.get(
        URL, {"q": "refund", "state": ["resolved"], "email": "seller@example.com"}
    )
    assert listed_ids(response) == [mixed["expired"].id]


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("state=needs_attention", ["needs"]),
        ("state=reopened&state=open&state=pending_support&state=transferred", ["open", "pending"]),
        ("state=resolved", ["recent_resolved", "expired"]),
    ],
)
def test_presets_are_links_to_state_filters(seller_client, mixed, preset, expected):
    page = seller_client.get(URL)
    assert f'href="/cases/?{preset.replace("&", "&amp;")}"' in page.text
    response = seller_client.get(f"{URL}?{preset}")
    assert sorted(listed_ids(response)) == sorted(ids_of([mixed[k] for k in expected]))


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-1",
        "page=99999",
        "o=bogus",
        "o=-created,drop table",
        "created_from=2026-13-45",
        "created_to=yesterday",
        "state=closed",
        "per_page=7",
        "per_page=1e9",
        "email=nobody@evil.example",
        "q=" + "x" * 500,
    ],
)
def test_malformed_parameters_give_a_page_not_an_error(seller_client, mixed, query):
    response = seller_client.get(f"{URL}?{query}")
    assert response.status_code == 200
    # The malformed value is ignored: the default view's cases, first page first.
    assert listed_ids(response) == listed_ids(seller_client.get(URL))


def test_a_search_of_punctuation_only_finds_nothing_and_says_so(seller_client, mixed):
    response = seller_client.get(f"{URL}?q=%27%3B--")
    assert response.status_code == 200
    assert listed_ids(response) == []
    assert "No case matches" in response.text


def test_a_yes_no_filter_with_another_value_still_lists_cases(seller_client, mixed):
    response = seller_client.get(URL, {"mine": "maybe"})
    assert response.status_code == 200
    assert listed_ids(response)


def test_a_bad_filter_is_reported_and_the_others_still_apply(seller_client, mixed):
    response = seller_client.get(URL, {"created_from": "2026-13-45", "state": "needs_attention"})
    assert "Some filters could not be used" in response.text
    assert listed_ids(response) == [mixed["needs"].id]


def test_pagination_keeps_filters_and_sort(seller_client, account, seller):
    for i in range(30):
        make_case(account, owner=seller, short_description=f"Refund {i:02}")
    response = seller_client.get(URL, {"q": "refund", "o": "description"})
    assert len(listed_ids(response)) == 25
    next_link = (
        re.search(r'rel="next" href="([^"]+)"', response.text).group(1).replace("&amp;", "&")
    )
    assert "q=refund" in next_link
    assert "o=description" in next_link
    assert "page=2" in next_link
    page2 = seller_client.get(URL + next_link)
    assert len(listed_ids(page2)) == 5
    assert "Refund 29" in page2.text
    assert "Refund 00" not in page2.text


@pytest.mark.parametrize("size", [25, 50, 100])
def test_page_size_choice(seller_client, account, seller, size):
    for _i in range(110):
        make_case(account, owner=seller)
    response = seller_client.get(URL, {"per_page": str(size)})
    assert len(listed_ids(response)) == size


def test_another_accounts_cases_never_appear(outsider_client, mixed, other_account, outsider):
    mine = make_case(other_account, owner=outsider, short_description="Outsider refund")
    for params in [{}, {"q": "refund"}, {"state": "resolved"}, {"email": "seller@example.com"}]:
        response = outsider_client.get(URL, params)
        assert set(listed_ids(response)) <= {mine.id}
    assert "seller@example.com" not in outsider_client.get(URL).text


def test_a_user_of_two_accounts_sees_both(db, account, other_account, seller, outsider):
    both = make_user("both@example.com", account=account)
    other_account.memberships.create(user=both)
    a = make_case(account, owner=seller)
    b = make_case(other_account, owner=outsider)
    from django.test import Client

    client = Client()
    client.force_login(both)
    assert sorted(listed_ids(client.get(URL))) == sorted([a.id, b.id])


def test_empty_log_explains_itself_and_disables_export(seller_client, seller):
    response = seller_client.get(URL)
    assert "You have no open or recent case." in response.text
    assert 'disabled aria-describedby="export-why"' in response.text
    filtered = seller_client.get(URL, {"q": "nothing-matches", "mine": "1"})
    assert "No case matches these filters." in filtered.text
    searched = seller_client.get(URL, {"q": "nothing-matches"})
    assert "No case matches “nothing-matches”." in searched.text


def test_export_button_carries_the_current_view(seller_client, mixed):
    response = seller_client.get(URL, {"state": "resolved", "o": "id"})
    assert 'href="/cases/export.csv?state=resolved&amp;o=id"' in response.text


def test_state_badges_carry_their_meaning(seller_client, mixed):
    response = seller_client.get(URL)
    assert 'title="Seller Support asks you to act: read their message and reply."' in response.text
    assert 'href="/cases/help/"' in response.text


def test_help_page_lists_every_state(seller_client):
    response = seller_client.get("/cases/help/")
    assert response.status_code == 200
    for state in CaseState:
        assert str(state.label) in response.text


@pytest.mark.parametrize("per_page", ["25", "50", "100"])
def test_query_count_does_not_grow_with_page_size(
    seller_client, account, seller, per_page, django_assert_max_num_queries
):
    for _i in range(120):
        make_case(account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=3)
    # Session, user, memberships (with the header's attention counts), count, rows
    # (with the "Updated" marks and who opened each case).
    with django_assert_max_num_queries(5):
        response = seller_client.get(URL, {"per_page": per_page})
    assert len(listed_ids(response)) == int(per_page)
    with django_assert_max_num_queries(5):
        response = seller_client.get(URL, {"per_page": per_page, "page": "2"})
    assert response.status_code == 200


def test_the_active_preset_is_marked_even_with_empty_form_fields(seller_client, mixed):
    query = "q=&state=needs_attention&created_from=&email=&per_page=25&o=id"
    response = seller_client.get(f"{URL}?{query}")
    assert re.search(
        r'class="nav-link active" aria-current="page" href="/cases/\?state=needs_attention"',
        response.text,
    )
    default = seller_client.get(URL, {"o": "id"})
    assert 'class="nav-link active" aria-current="page" href="/cases/"' in default.text


def _filter_panel(html: str) -> str:
    return html.split('class="card card-body bg-body-tertiary shadow filters-panel"', 1)[1]


def test_the_cached_filter_panel_shows_each_viewer_their_own(
    seller_client, outsider_client, mixed, colleague, outsider
):
    """The folded filter fields are rendered once per distinct panel and cached
    (`CaseFilter.panel_key`): another account's member must never get this
    account's addresses as e-mail choices, and the values asked for and the
    language must show as asked, whatever was rendered before."""
    ours = _filter_panel(seller_client.get(URL).text)
    theirs = _filter_panel(outsider_client.get(URL).text)
    assert f'value="{colleague.email}"' in ours
    assert colleague.email not in theirs
    assert f'value="{outsider.email}"' in theirs

    checked = re.compile(r'<input[^>]*value="resolved"[^>]*\bchecked\b')
    assert not checked.search(ours)
    assert checked.search(_filter_panel(seller_client.get(URL, {"state": "resolved"}).text))
    assert not checked.search(_filter_panel(seller_client.get(URL).text))

    seller_client.cookies["django_language"] = "fr"
    french = _filter_panel(seller_client.get(URL).text)
    assert "Cas par page" in french
    assert "Cases per page" in ours


@pytest.mark.parametrize(
    ("query", "cached"),
    [
        ("", True),
        ("state=resolved&state=open&mine=1&per_page=50&o=-id&q=refund", True),
        ("created_from=2026-01-05", False),
        ("email=seller@example.com", False),
        ("state=bogus", False),
        ("per_page=7", False),
    ],
)
def test_only_panels_of_few_possible_values_are_cached(seller, query, cached):
    """Free values (dates, an e-mail) and errors are rendered afresh: otherwise each
    request could add an entry to the shared cache."""
    from django.http import QueryDict

    from cases.selectors import case_log

    key = case_log(user=seller, params=QueryDict(query)).filterset.panel_key
    assert bool(key) is cached


@pytest.mark.parametrize(
    ("query", "cached"),
    [
        ("mine=x", False),
        ("cc=true", False),
        ("opened_by_me=0", False),
        ("mine=1&mine=", False),
        ("per_page=25&per_page=50", False),
        ("state=open&state=open&mine=1&mine=1", True),
        ("q=&created_from=&created_to=&email=&per_page=25", True),
    ],
)
def test_a_panel_is_cached_only_for_the_values_it_offers(seller, query, cached):
    from django.http import QueryDict

    from cases.selectors import case_log

    key = case_log(user=seller, params=QueryDict(query)).filterset.panel_key
    assert bool(key) is cached


def test_odd_values_do_not_grow_the_filter_panel_cache(seller_client, mixed, settings):
    """Issue 23.3: `?mine=<random>` (or `cc=`, `opened_by_me=`, a state repeated) wrote
    one cache entry per request. The keys are a fixed set, whatever is asked."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "odd-filter-values",
        }
    }
    cache = caches["default"]
    cache.clear()

    def keys() -> int:
        return len(cache._cache)  # type: ignore[attr-defined]  # LocMemCache's store

    assert seller_client.get(URL, {"mine": "1"}).status_code == 200
    baseline = keys()
    assert baseline >= 1  # the panel of a fixed value is cached
    for n in range(40):
        for query in (
            {"mine": f"x{n}"},
            {"cc": f"x{n}"},
            {"opened_by_me": f"x{n}"},
            {"state": ["open"] * (n + 2)},
            {"state": ["open", "resolved"] * (n + 1), "mine": ["1"] * (n + 1)},
        ):
            response = seller_client.get(URL, query)
            assert response.status_code == 200
    # Repeated states are one panel (cached once each); odd values are rendered afresh.
    assert keys() <= baseline + 2
    # The page still shows what was asked, and filters as before (a check box's
    # odd value counts as ticked, as the browser's own "on" does).
    response = seller_client.get(URL, {"state": ["resolved"] * 5})
    assert re.search(r'<input[^>]*value="resolved"[^>]*\bchecked\b', _filter_panel(response.text))
    odd = seller_client.get(URL, {"mine": "zz"})
    assert listed_ids(odd) == listed_ids(seller_client.get(URL, {"mine": "1"}))
    assert re.search(r'<input[^>]*name="mine"[^>]*\bchecked\b', _filter_panel(odd.text))


def test_a_search_that_finds_nothing_says_so_and_how_to_search(seller_client, mixed):
    response = seller_client.get(URL, {"q": "zzzz <b>"})
    assert "No case matches “zzzz &lt;b&gt;”." in response.text
    assert "Search fewer or shorter words" in response.text
    assert "No case matches these filters." not in response.text
    # With another filter, the message is about the filters.
    response = seller_client.get(URL, {"q": "zzzz", "state": "open"})
    assert "No case matches these filters." in response.text
    seller_client.cookies["django_language"] = "fr"
    response = seller_client.get(URL, {"q": "zzzz"})
    assert "Aucun cas ne correspond à «\u00a0zzzz\u00a0»." in response.text
