"""What needs me: the header's count and the log's "changed since you looked" marks."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case, CaseState
from correspondence.services import case_open, message_post
from tests.conftest import make_case

URL = "/cases/"


def header_count(response) -> tuple[int, str]:
    match = re.search(r'class="badge [^"]*attention-count">(\d+)</span>', response.text)
    assert match, "the header shows the needs-attention count"
    mine = re.search(r'attention-mine"[^>]*>([^<]*)<', response.text)
    return int(match.group(1)), (mine.group(1).strip() if mine else "")


def changed_ids(response) -> list[int]:
    rows = re.findall(r'<tr class="[^"]*case-changed[^"]*">.*?(\d{10})', response.text, re.S)
    return [int(i) for i in rows]


def test_the_header_counts_the_accounts_cases_needing_attention(
    seller_client, account, seller, colleague, other_account, outsider
):
    make_case(account, owner=seller, state=CaseState.NEEDS_ATTENTION)
    make_case(account, owner=seller, state=CaseState.NEEDS_ATTENTION)
    make_case(account, owner=colleague, state=CaseState.NEEDS_ATTENTION)
    make_case(account, owner=seller, state=CaseState.ANSWERED)
    make_case(other_account, owner=outsider, state=CaseState.NEEDS_ATTENTION)
    response = seller_client.get("/cases/help/")
    assert header_count(response) == (3, "(2 yours)")
    assert 'href="/cases/?state=needs_attention"' in response.text


def test_the_count_changes_when_an_agent_asks_for_action(
    seller_client, account, seller, support_agent
):
    case = case_open(account=account, author=seller, subject="Help", body="Please").case
    assert header_count(seller_client.get(URL))[0] == 0
    message_post(
        case=case, author=support_agent, direction="support", body="Send it", needs_action=True
    )
    assert header_count(seller_client.get(URL)) == (1, "(1 yours)")


def test_the_header_count_costs_one_query(seller_client, account, seller):
    for _i in range(5):
        make_case(account, owner=seller, state=CaseState.NEEDS_ATTENTION)
    with CaptureQueriesContext(connection) as queries:
        seller_client.get("/cases/help/")
    counting = [q for q in queries if "needs_attention" in q["sql"]]
    assert len(counting) == 1


def test_no_count_for_anonymous_or_support_staff(client, agent_client, db):
    assert "attention-count" not in client.get("/accounts/login/").text
    assert "attention-count" not in agent_client.get("/cases/help/").text


def test_a_case_changed_since_i_opened_it_is_marked(
    seller_client, colleague_client, account, seller, support_agent
):
    case = case_open(account=account, author=seller, subject="Help", body="Please").case
    quiet = case_open(account=account, author=seller, subject="Other", body="Please").case
    assert changed_ids(seller_client.get(URL)) == []
    message_post(case=case, author=support_agent, direction="support", body="Answer")
    assert changed_ids(seller_client.get(URL)) == [case.id]
    assert "Updated" in seller_client.get(URL).text
    seller_client.get(f"/cases/{case.id}/")
    assert changed_ids(seller_client.get(URL)) == []
    # My colleague has not opened it since support wrote: it is marked for them.
    assert changed_ids(colleague_client.get(URL)) == [case.id]
    assert quiet.id not in changed_ids(colleague_client.get(URL))


def test_a_state_change_marks_the_case(seller_client, account, seller, support_agent):
    from cases.models import CaseEvent
    from cases.services import case_transition

    case = case_open(account=account, author=seller, subject="Help", body="Please").case
    seller_client.get(f"/cases/{case.id}/")
    case_transition(case=case, event=CaseEvent.RESOLVED, actor=support_agent)
    assert changed_ids(seller_client.get(URL)) == [case.id]


def test_marks_and_openers_cost_the_same_queries_for_25_or_100_rows(
    seller_client, account, seller, support_agent
):
    for number in range(110):
        case = make_case(account, owner=seller)
        if number % 2:
            seller_client.get(f"/cases/{case.id}/")

    def count(per_page: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = seller_client.get(URL, {"per_page": per_page})
        assert response.status_code == 200
        return len(queries)

    assert count("25") == count("100")


def test_on_the_log_the_header_count_rides_on_the_memberships_query(
    seller_client, account, seller, colleague, other_account, outsider
):
    make_case(account, owner=seller, state=CaseState.NEEDS_ATTENTION)
    make_case(account, owner=colleague, state=CaseState.NEEDS_ATTENTION)
    make_case(other_account, owner=outsider, state=CaseState.NEEDS_ATTENTION)
    with CaptureQueriesContext(connection) as queries:
        response = seller_client.get(URL)
    assert header_count(response) == (2, "(1 yours)")
    # The header's count is the only query that tests state = needs_attention (the
    # log's own count lists every unresolved state in an IN).
    counting = [q["sql"] for q in queries if "\"state\" = 'needs_attention'" in q["sql"]]
    assert len(counting) == 1
    assert "cases_membership" in counting[0].split("FROM")[-1]
    # Another page has no memberships query to ride on: it counts on its own.
    assert header_count(seller_client.get("/cases/help/")) == (2, "(1 yours)")


def test_marks_and_openers_on_a_deep_page_come_with_its_rows(
    seller_client, account, seller, support_agent, monkeypatch
):
    from cases import selectors

    monkeypatch.setattr(selectors, "DEFERRED_JOIN_FROM", 2)  # page 2 takes the ids subquery
    case = case_open(account=account, author=seller, subject="Help", body="Please").case
    Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - timedelta(days=30))
    for _i in range(30):
        make_case(account, owner=seller)
    message_post(case=case, author=support_agent, direction="support", body="Answer")
    with CaptureQueriesContext(connection) as queries:
        response = seller_client.get(URL, {"page": "2", "per_page": "25"})
    assert len(queries) <= 5
    assert changed_ids(response) == [case.id]
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{case.id}(?:(?!</tr>).)*</tr>", response.text, re.S)
    assert row
    # Every row opened by its owner: no "Opened by" column (issue 22.7).
    assert "opened-by" not in row.group(0)
    assert changed_ids(seller_client.get(URL, {"page": "1", "per_page": "25"})) == []


def _writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE"))
    ]


def test_a_second_view_of_an_unchanged_case_writes_nothing(
    seller_client, account, seller, support_agent
):
    """Reading a case never queues for SQLite's write lock when its mark would not change."""
    case = case_open(account=account, author=seller, subject="Help", body="Please").case
    message_post(case=case, author=support_agent, direction="support", body="Answer")
    with CaptureQueriesContext(connection) as first:
        seller_client.get(f"/cases/{case.id}/")
    assert len(_writes(first)) == 1  # the first view is remembered

    with CaptureQueriesContext(connection) as second:
        response = seller_client.get(f"/cases/{case.id}/")

    assert response.status_code == 200
    assert _writes(second) == []
    assert changed_ids(seller_client.get(URL)) == []


def test_a_view_after_support_acted_is_remembered(seller_client, account, seller, support_agent):
    case = case_open(account=account, author=seller, subject="Help", body="Please").case
    seller_client.get(f"/cases/{case.id}/")
    message_post(case=case, author=support_agent, direction="support", body="Answer")
    assert changed_ids(seller_client.get(URL)) == [case.id]

    with CaptureQueriesContext(connection) as queries:
        seller_client.get(f"/cases/{case.id}/")

    assert len(_writes(queries)) == 1
    assert changed_ids(seller_client.get(URL)) == []
