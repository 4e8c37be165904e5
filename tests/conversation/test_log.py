"""The log's conversation parameters: o=activity, o=state by urgency, cc=1, the Updated rule."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import STATE_URGENCY, Case, CaseEvent, CaseState, Membership
from cases.services import case_transition
from correspondence.services import case_open, message_post
from tests.conftest import listed_ids, make_case

URL = "/cases/"


def changed_ids(response) -> list[int]:
    rows = re.findall(r'<tr class="[^"]*case-changed[^"]*">.*?(\d{10})', response.text, re.S)
    return [int(i) for i in rows]


@pytest.fixture
def every_state(account, seller):
    # Created in alphabetical order of the state value, so that no other order fits.
    return {
        state: make_case(account, owner=seller, state=state)
        for state in sorted(CaseState.values, reverse=True)
    }


@pytest.mark.parametrize("language", ["en", "fr"])
def test_state_sorts_by_urgency_in_every_language(seller_client, every_state, language):
    seller_client.cookies["django_language"] = language
    response = seller_client.get(URL, {"o": "state"})
    expected = [every_state[state].id for state in STATE_URGENCY]
    assert listed_ids(response) == expected
    response = seller_client.get(URL, {"o": "-state"})
    assert listed_ids(response) == expected[::-1]


def test_activity_sorts_by_last_activity(seller_client, account, seller):
    now = timezone.now()
    cases = [make_case(account, owner=seller) for _ in range(3)]
    for hours, case in zip([5, 1, 3], cases, strict=True):
        Case.objects.filter(pk=case.pk).update(last_activity_at=now - timedelta(hours=hours))
    newest_first = [cases[1].id, cases[2].id, cases[0].id]
    assert listed_ids(seller_client.get(URL, {"o": "-activity"})) == newest_first
    assert listed_ids(seller_client.get(URL, {"o": "activity"})) == newest_first[::-1]
    assert 'class="activity-cell"' in seller_client.get(URL).text


def test_cc_shows_the_cases_where_i_am_copied(seller_client, account, seller, colleague):
    copied = make_case(account, owner=colleague, cc_list=["seller@example.com"])
    make_case(account, owner=colleague, cc_list=["reseller@example.com"])  # not me
    make_case(account, owner=colleague)
    make_case(account, owner=seller)
    assert listed_ids(seller_client.get(URL, {"cc": "1"})) == [copied.id]
    page = seller_client.get(URL, {"cc": "1"}).text
    # The filter stays on: ticked in the panel, carried by the export.
    assert 'id="id_cc" checked' in page
    assert 'href="/cases/export.csv?cc=1"' in page


def test_yours_links_to_my_cases_needing_attention(seller_client, account, seller, colleague):
    make_case(account, owner=seller, state=CaseState.NEEDS_ATTENTION)
    make_case(account, owner=colleague, state=CaseState.NEEDS_ATTENTION)
    html = seller_client.get(URL).text
    assert 'href="/cases/?state=needs_attention&amp;mine=1">(1 yours)' in html


def test_updated_means_support_acted_not_me(seller_client, account, seller, support_agent):
    case = case_open(account=account, author=seller, subject="Help", body="Please").case
    seller_client.get(case.get_absolute_url())
    message_post(case=case, author=seller, direction="seller", body="One more thing")
    assert changed_ids(seller_client.get(URL)) == []  # my own message
    message_post(case=case, author=support_agent, direction="support", body="Answer")
    assert changed_ids(seller_client.get(URL)) == [case.id]
    seller_client.get(case.get_absolute_url())
    assert changed_ids(seller_client.get(URL)) == []
    team_case = case_transition(case=case, event=CaseEvent.TRANSFERRED, actor=support_agent)
    assert changed_ids(seller_client.get(URL)) == [team_case.id]


def test_updated_counts_only_after_i_joined(seller_client, account, seller, support_agent):
    case = case_open(account=account, author=seller, subject="Help", body="Please").case
    message_post(case=case, author=support_agent, direction="support", body="Answer")
    assert changed_ids(seller_client.get(URL)) == [case.id]  # never opened it
    Membership.objects.filter(user=seller).update(added_at=timezone.now() + timedelta(minutes=1))
    assert changed_ids(seller_client.get(URL)) == []


def test_updated_never_on_an_expired_case(seller_client, account, seller, support_agent):
    case = case_open(account=account, author=seller, subject="Help", body="Please").case
    case_transition(case=case, event=CaseEvent.RESOLVED, actor=support_agent)
    assert changed_ids(seller_client.get(URL, {"state": "resolved"})) == [case.id]
    Case.objects.filter(pk=case.pk).update(resolved_at=timezone.now() - timedelta(days=60))
    assert changed_ids(seller_client.get(URL, {"state": "resolved"})) == []


@pytest.mark.parametrize("order", ["state", "-activity", "activity"])
def test_the_new_sorts_keep_the_log_at_its_queries(seller_client, account, seller, order):
    for _ in range(30):
        make_case(account, owner=seller)

    def count(per_page: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = seller_client.get(URL, {"o": order, "per_page": per_page, "cc": "1"})
        assert response.status_code == 200
        return len(queries)

    assert count("25") == count("100") <= 5


def test_within_a_state_the_longest_wait_comes_first(seller_client, account, seller):
    """Sorting by state groups by urgency; inside a group the case left longest
    without activity is first (not the random case-ID order)."""
    now = timezone.now()
    cases = [make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT) for _ in range(4)]
    for hours, case in zip([2, 30, 5, 11], cases, strict=True):
        Case.objects.filter(pk=case.pk).update(last_activity_at=now - timedelta(hours=hours))
    longest_first = [cases[1].id, cases[3].id, cases[2].id, cases[0].id]
    assert listed_ids(seller_client.get(URL, {"o": "state"})) == longest_first
    assert listed_ids(seller_client.get(URL, {"o": "-state"})) == longest_first[::-1]
