"""Pagination of the case log at any depth: deep pages read their ids from the index
(and from the nearer end), and must still show exactly what a plain OFFSET would."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.http import QueryDict
from django.utils import timezone

from cases import selectors
from cases.models import Case, CaseState, expired_q, expiry_cutoff, not_expired_ranges
from cases.selectors import case_log, count_by_parts
from tests.conftest import LOG_ROW_ID, make_case, make_user

SORTS = ["created", "id", "state", "email", "description"]


@pytest.fixture
def many(account, seller, colleague):
    now = timezone.now()
    states = list(CaseState)
    return [
        make_case(
            account,
            owner=seller if i % 3 else colleague,
            state=states[i % len(states)],
            resolved_days_ago=5 if i % 4 else 90,  # some resolved cases are expired
            created_at=now - timedelta(hours=i * 5),
            short_description=f"Case {i % 9} about order {i}",
        )
        for i in range(70)
    ]


@pytest.fixture
def deep_from_page_2(monkeypatch):
    """Every page after the first takes the deep-page path (ids subquery)."""
    monkeypatch.setattr(selectors, "DEFERRED_JOIN_FROM", 2)


@pytest.fixture
def deep_log(many, deep_from_page_2):
    """The 70 cases, every page after the first read by the deep-page path."""
    return many


@pytest.mark.parametrize("sort", [s for key in SORTS for s in (key, f"-{key}")])
@pytest.mark.usefixtures("deep_log")
def test_every_page_equals_a_plain_offset(seller, sort):
    log = case_log(user=seller, params=QueryDict(f"o={sort}&per_page=25"))
    expected = [case.pk for case in log.queryset]
    shown: list[int] = []
    for number in range(1, log.paginator.num_pages + 1):
        shown += [case.pk for case in log.page(number).object_list]
    assert shown == expected
    assert len(expected) > 50  # three pages: the last one is read from the other end


@pytest.mark.parametrize("per_page", [25, 50, 100])
@pytest.mark.usefixtures("deep_log")
def test_the_log_reads_three_queries_whatever_per_page_and_page(
    seller, per_page, django_assert_num_queries
):
    # Accounts with member e-mails (one query), the count, the rows: with the
    # session and the user, a log page is 5 queries of its own.
    for number in (1, 2, 3, 999):
        with django_assert_num_queries(3):
            log = case_log(user=seller, params=QueryDict(f"per_page={per_page}"))
            list(log.page(number).object_list)


@pytest.mark.usefixtures("many")
def test_member_emails_accounts_and_counts_come_from_one_query(
    seller, colleague, django_assert_num_queries
):
    from cases.access import Viewer

    viewer = Viewer(seller)
    account_id = seller.memberships.get().account_id
    with django_assert_num_queries(1):
        assert viewer.member_emails == sorted([seller.email, colleague.email])
        assert viewer.account_ids == [account_id]
        assert viewer.attention is not None


@pytest.mark.usefixtures("deep_log")
def test_deep_page_links_keep_filters_and_sort(seller_client):
    response = seller_client.get(
        "/cases/?created_from=2000-01-01&mine=1&o=-email&per_page=25&page=2"
    )
    assert response.status_code == 200
    nav = response.text.split('class="pagination', 1)[1].split("</nav>", 1)[0]
    links = re.findall(r'href="(\?[^"]*)"', nav)
    assert links
    for link in links:
        query = QueryDict(link[1:].replace("&amp;", "&"))
        assert query["created_from"] == "2000-01-01"
        assert query["mine"] == "1"
        assert query["o"] == "-email"
        assert query["per_page"] == "25"


# (A NUL character is refused before any view: tests/security/test_odd_values.py.)
@pytest.mark.parametrize("page", ["abc", "-1", "0", "1.5", "", "99999", "2" * 40])
@pytest.mark.usefixtures("deep_log")
def test_malformed_page_values_still_give_a_page(seller_client, page):
    response = seller_client.get(f"/cases/?page={page}")
    assert response.status_code == 200
    assert LOG_ROW_ID.findall(response.text)  # page 1, or the last page past either end


@pytest.mark.parametrize(
    "query",
    [
        "o=-description",
        "state=resolved&state=open&state=answered&state=needs_attention&o=email",
        "o=id",
    ],
)
@pytest.mark.usefixtures("deep_log")
def test_the_export_equals_the_log_across_all_pages(seller_client, query):
    shown: list[str] = []
    number = 1
    while True:
        response = seller_client.get(f"/cases/?{query}&per_page=25&page={number}")
        shown += LOG_ROW_ID.findall(response.text)
        if 'rel="next"' not in response.text:
            break
        number += 1
    export = seller_client.get(f"/cases/export.csv?{query}")
    raw = b"".join(export.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(raw[1:])))[1:]
    assert [row[0] for row in rows] == shown
    assert len(shown) > 25


@pytest.mark.usefixtures("many")
def test_the_default_view_counts_exactly_what_it_lists(account, other_account, seller):
    """The default view is counted by index ranges (`not_expired_ranges`); the count
    must be the number of cases the view lists, edge cases included: a resolved case
    with no resolution date (kept), one resolved exactly at the cutoff (kept), one
    resolved just before it (expired), and another account's cases (not counted)."""
    now = timezone.now()
    kept = make_case(account, owner=seller, state=CaseState.RESOLVED)
    Case.objects.filter(pk=kept.pk).update(resolved_at=None)
    at_cutoff = make_case(account, owner=seller, state=CaseState.RESOLVED)
    just_expired = make_case(account, owner=seller, state=CaseState.RESOLVED)
    cutoff = expiry_cutoff(now)
    Case.objects.filter(pk=at_cutoff.pk).update(resolved_at=cutoff)
    Case.objects.filter(pk=just_expired.pk).update(resolved_at=cutoff - timedelta(seconds=1))
    make_case(other_account, owner=make_user("x@other.example", account=other_account))

    for query in ("", "o=email", "o=-state&per_page=50"):
        log = case_log(user=seller, params=QueryDict(query))
        listed = {case.pk for case in log.queryset}
        assert log.paginator.count == len(listed)
        assert kept.pk in listed
        assert just_expired.pk not in listed

    visible = Case.objects.filter(account=account)
    assert (
        count_by_parts(visible, not_expired_ranges(now)) == visible.exclude(expired_q(now)).count()
    )
    assert at_cutoff.pk in set(visible.exclude(expired_q(now)).values_list("pk", flat=True))


@pytest.mark.parametrize("query", ["refund", "refun", "refund order", "case", "zzz"])
def test_a_search_alone_is_counted_in_the_index_exactly(
    account, other_account, seller, outsider, query
):
    """A log narrowed by a search alone is counted from the term index: the same
    number as the cases it lists, though one case holds several terms of a prefix
    (refund, refunded, refunds) and another account has matches too."""
    make_case(account, owner=seller, short_description="Refund refunded refunds, order 1")
    make_case(account, owner=seller, short_description="Refund for order 2")
    make_case(
        account,
        owner=seller,
        state=CaseState.RESOLVED,
        resolved_days_ago=200,
        short_description="Old refund case",
    )  # expired: a search finds it
    make_case(account, owner=seller, short_description="Case without the word")
    make_case(other_account, owner=outsider, short_description="Refund of another account")

    log = case_log(user=seller, params=QueryDict(f"q={query}"))
    assert log.counter is not None
    assert log.paginator.count == len(list(log.queryset))
    assert log.paginator.count == log.queryset.count()


def test_a_search_with_other_filters_or_a_case_id_is_counted_by_the_cases(account, seller):
    case = make_case(account, owner=seller, short_description="Refund please")
    digits = str(case.pk)[:6]
    log = case_log(user=seller, params=QueryDict(f"q={digits}"))
    assert log.paginator.count == log.queryset.count() >= 1
    log = case_log(user=seller, params=QueryDict("q=refund&state=open"))
    assert log.counter is None
    assert log.paginator.count == 1


@pytest.mark.usefixtures("deep_log")
def test_deep_pages_of_a_large_search_equal_a_plain_offset(seller, monkeypatch):
    """A search past SMALL_SET probes each case in the term index (`cases.search`);
    its deep pages (ids from a subquery) and its count still match a plain OFFSET."""
    from cases.search import match

    monkeypatch.setattr(match, "SMALL_SET", -1)
    for sort in ("created", "-email"):
        log = case_log(user=seller, params=QueryDict(f"q=order&o={sort}&per_page=25"))
        expected = [case.pk for case in log.queryset]
        shown: list[int] = []
        for number in range(1, log.paginator.num_pages + 1):
            shown += [case.pk for case in log.page(number).object_list]
        assert shown == expected
        assert log.paginator.count == len(expected) > 50


PAGE_SIZE_SELECT = re.compile(r'<select name="per_page".*?</select>', re.DOTALL)


@pytest.mark.parametrize(
    ("query", "selected"),
    [("", "25"), ("per_page=50", "50"), ("per_page=100", "100"), ("per_page=7", "25")],
)
def test_the_page_size_select_marks_the_size_in_effect(seller_client, many, query, selected):
    """Issue #23.8: the default view's select had no selected option."""
    response = seller_client.get(f"/cases/?{query}")
    select = PAGE_SIZE_SELECT.search(response.text).group(0)
    assert re.findall(r'<option value="(\d+)" selected>', select) == [selected]
    # The size selected is the size in effect (70 cases, a few of them expired).
    shown = len(LOG_ROW_ID.findall(response.text))
    assert shown == {"25": 25, "50": 50, "100": 68}[selected]
