"""The agents' case list at a million cases (#21): a count bounded at COUNT_CAP,
years of the date hierarchy from two index probes whatever the filter, and rows
drawn from `cases.admin.QueueRow` with the admin's markup and the same facts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case, CaseState, SupportTeam
from correspondence.admin.case import CaseAdmin
from correspondence.admin.queue import COUNT_CAP
from tests.conftest import make_case

LIST = "/admin/cases/case/"


def listed(response) -> list[int]:
    """The case IDs of the list's rows, in their order (each row links twice)."""
    ids = re.findall(r'href="/admin/cases/case/(\d{10})/change/', response.text)
    return list(dict.fromkeys(int(pk) for pk in ids))


def row_of(response, case: Case) -> str:
    """The `<tr>` of `case` in the list."""
    [row] = re.findall(
        rf'<tr><td class="action-checkbox">[^\n]*?value="{case.pk}".*?</tr>', response.text
    )
    return row


@pytest.fixture
def small_cap(monkeypatch):
    """A bound of 4 cases and pages of 2: six cases go past it. ("Show all" up to
    1 case: below the bound, as the admin's 200 are below the real bound.)"""
    monkeypatch.setattr("correspondence.admin.queue.COUNT_CAP", 4)
    monkeypatch.setattr(CaseAdmin, "list_per_page", 2)
    monkeypatch.setattr(CaseAdmin, "list_max_show_all", 1)


def test_the_bound_is_whole_pages_above_show_all():
    assert COUNT_CAP % CaseAdmin.list_per_page == 0
    assert CaseAdmin.list_max_show_all < COUNT_CAP  # "Show all" never lists past it


def test_past_the_bound_the_list_says_more_than_and_its_pages_stop_there(
    small_cap, agent_admin, account, seller
):
    for _n in range(6):
        make_case(account, owner=seller)
    page = agent_admin.get(LIST)
    assert "More than 4 cases — add a filter or a search." in page.text
    assert "More than 4 results" in page.text  # beside the search box
    assert "6 cases" not in page.text
    # "Select all" names no number it did not count.
    assert "Select all cases of the list (more than 4)" in page.text
    assert "All cases of the list selected (more than 4)" in page.text
    # The pages up to the bound work; the one past it is the admin's bad-page answer.
    assert len(listed(agent_admin.get(LIST, {"p": 2}))) == 2
    assert agent_admin.get(LIST, {"p": 3}).status_code == 302
    french = agent_admin.get(LIST, headers={"accept-language": "fr"}).text
    assert "Plus de 4 cas — ajoutez un filtre ou une recherche." in french


def test_under_the_bound_the_list_counts_exactly(small_cap, agent_admin, account, seller):
    for _n in range(4):
        make_case(account, owner=seller)
    page = agent_admin.get(LIST)
    assert "4 cases" in page.text
    assert "More than" not in page.text
    assert "Select all 4 cases" in page.text


def test_select_all_past_the_bound_acts_on_every_case_and_its_confirmation_counts_them(
    small_cap, agent_admin, account, seller
):
    cases = [make_case(account, owner=seller) for _n in range(6)]
    confirm = agent_admin.post(
        LIST,
        {
            "action": "resolve_cases",
            "select_across": "1",
            "index": "0",
            ACTION_CHECKBOX_NAME: [cases[0].pk],
        },
    )
    assert "Resolve these 6 cases?" in confirm.text  # the true number, not the bound
    agent_admin.post(
        LIST,
        {
            "action": "resolve_cases",
            "select_across": "1",
            "index": "0",
            "apply": "1",
            ACTION_CHECKBOX_NAME: [cases[0].pk],
        },
    )
    assert Case.objects.filter(state=CaseState.RESOLVED).count() == 6


def test_a_search_alone_is_counted_in_the_term_index_and_with_a_filter_from_the_cases(
    small_cap, monkeypatch, agent_admin, account, seller, colleague
):
    from cases.search import match

    monkeypatch.setattr(match, "SMALL_SET", 0)  # the large-set path, as at a million cases
    for _n in range(3):
        make_case(account, owner=colleague)
    make_case(account, owner=colleague, state=CaseState.ANSWERED)
    make_case(account, owner=seller)
    with CaptureQueriesContext(connection) as queries:
        alone = agent_admin.get(LIST, {"q": colleague.email})
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    assert len(counts) == 1
    assert "COUNT(DISTINCT case_id)" in counts[0]  # no case row read
    assert "4 results" in alone.text
    # With a filter, the cases themselves are counted (the index knows no state).
    with CaptureQueriesContext(connection) as queries:
        filtered = agent_admin.get(LIST, {"q": colleague.email, "state__exact": CaseState.OPEN})
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
    assert len(counts) == 1
    assert "COUNT(*)" in counts[0]
    assert "cases_case" in counts[0]
    assert "3 results" in filtered.text
    assert len(listed(filtered)) == 2  # pages of 2


def test_the_agents_search_finds_a_large_e_mail_set_in_the_queue_order(
    monkeypatch, agent_admin, account, seller, colleague
):
    """Past SMALL_SET, the owner's e-mail is a set the page probes while it walks the
    queue (`match._Probed`): the same cases, in the queue's order, counted right."""
    from cases.search import match

    monkeypatch.setattr(match, "SMALL_SET", 0)
    theirs = [make_case(account, owner=colleague) for _n in range(3)]
    make_case(account, owner=seller)
    now = timezone.now()
    for hours, case in zip([1, 30, 5], theirs, strict=True):
        Case.objects.filter(pk=case.pk).update(
            state=CaseState.PENDING_SUPPORT, waiting_since=now - timedelta(hours=hours)
        )
    page = agent_admin.get(LIST, {"q": "colleague@"})
    assert listed(page) == [theirs[1].pk, theirs[2].pk, theirs[0].pk]
    assert "3 results" in page.text


def test_the_date_hierarchy_spans_every_case_whatever_the_filter(agent_admin, account, seller):
    zone = timezone.get_current_timezone()
    make_case(
        account,
        owner=seller,
        state=CaseState.RESOLVED,
        created_at=datetime(2024, 3, 10, tzinfo=zone),
    )
    make_case(account, owner=seller, created_at=datetime(2026, 5, 10, tzinfo=zone))
    with CaptureQueriesContext(connection) as queries:
        page = agent_admin.get(LIST, {"state__exact": CaseState.OPEN})
    # 2024 holds no open case: listed all the same (the years between the first
    # and the last case of all), and the bounds are read with no filter.
    for year in (2024, 2025, 2026):
        assert f"created_at__year={year}" in page.text
    bounds = [
        q["sql"]
        for q in queries.captured_queries
        if "created_at" in q["sql"] and "LIMIT 1" in q["sql"]
    ]
    assert len(bounds) == 2
    assert not any("WHERE" in sql for sql in bounds)
    months = agent_admin.get(LIST, {"state__exact": CaseState.OPEN, "created_at__year": "2024"})
    assert "created_at__month=3" in months.text


def test_a_row_shows_what_an_agent_needs(agent_admin, account, seller, support_agent):
    team = SupportTeam.objects.create(name="Payments", response_target_hours=2)
    late = make_case(account, owner=seller, short_description="Payout <late>")
    Case.objects.filter(pk=late.pk).update(
        state=CaseState.PENDING_SUPPORT,
        waiting_since=timezone.now() - timedelta(hours=3),
        support_team=team,
        assignee=support_agent,
        escalated_at=timezone.now(),
        escalation_reason="no_answer",
        answer_not_accepted=True,
    )
    calm = make_case(account, owner=seller, state=CaseState.ANSWERED)
    page = agent_admin.get(LIST, {"q": "payout"})
    late.refresh_from_db()
    row = row_of(page, late)
    # The link carries the list's filters ("Send and next" follows them).
    url = f"/admin/cases/case/{late.pk}/change/?_changelist_filters={quote('q=payout')}"
    assert f'<th class="field-id"><a href="{url}">{late.pk}</a></th>' in row
    assert f'<a href="{url}">Payout &lt;late&gt;</a>' in row  # escaped
    assert 'class="action-select"' in row
    assert f'aria-label="Select this object for an action - {late.pk} — Payout &lt;late&gt;"' in row
    assert '<td class="field-state">Pending support action</td>' in row
    assert '<strong class="overdue">overdue</strong>' in row
    assert '<td class="field-flags">escalated, answer not accepted</td>' in row
    assert '<td class="field-support_team nowrap">Payments</td>' in row
    assert f'<td class="field-assignee nowrap">{support_agent.email}</td>' in row
    assert '<td class="field-account nowrap">Demo Shop</td>' in row
    assert f'<td class="field-primary_email">{seller.email}</td>' in row
    plain = row_of(agent_admin.get(LIST), calm)
    assert '<td class="field-state">Answered</td>' in plain
    assert '<td class="field-waiting">—</td><td class="field-flags">—</td>' in plain
    assert (
        '<td class="field-support_team nowrap">—</td><td class="field-assignee nowrap">—</td>'
        in plain
    )


def test_the_rows_have_a_cell_under_every_header(agent_admin, agent, account, seller):
    from django.contrib.auth.models import Permission

    from tests.conftest import _login

    make_case(account, owner=seller)

    def cells(client) -> tuple[int, list[int]]:
        page = client.get(LIST).text
        start = page.index('<table id="result_list">')
        table = page[start : page.index("</table>", start)]
        rows = re.findall(r"<tr><t[dh] class=.*?</tr>", table)
        return len(re.findall(r'<th scope="col"', table)), [
            len(re.findall(r"<t[dh] class=", row)) for row in rows
        ]

    headers, rows = cells(agent_admin)
    assert headers == len(CaseAdmin.list_display) + 1  # and the check box
    assert rows == [headers]
    # Staff who may see the cases but not act: no actions, no check box column.
    agent.user_permissions.add(Permission.objects.get(codename="view_case"))
    headers, rows = cells(_login(agent))
    assert headers == len(CaseAdmin.list_display)
    assert rows == [headers]


def test_dates_and_labels_follow_the_language(agent_admin, account, seller):
    case = make_case(
        account,
        owner=seller,
        created_at=datetime(2026, 5, 10, 14, 5, tzinfo=timezone.get_current_timezone()),
    )
    assert "10 May 2026, 14:05" in row_of(agent_admin.get(LIST), case)
    agent_admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = agent_admin.get(LIST, headers={"accept-language": "fr"})
    row = row_of(page, case)
    assert '<td class="field-state">Ouvert</td>' in row
    assert "Choisir cet objet pour une action" in row
    assert '<td class="field-created_at nowrap">10/05/2026 14:05</td>' in row


@pytest.mark.parametrize("query", [{}, {"state__exact": CaseState.OPEN}, {"q": "colleague@"}])
def test_a_deep_page_reads_its_ids_first_and_shows_the_same_cases(
    small_cap, monkeypatch, agent_admin, account, seller, colleague, query
):
    """From DEFERRED_JOIN_FROM on, a page reads its ids in a subquery, then its rows
    by primary key alone: the same cases, in the same order, as the plain page."""
    for n in range(9):  # 3 open, 4 of the colleague's: two pages each
        case = make_case(account, owner=colleague if n % 2 else seller)
        Case.objects.filter(pk=case.pk).update(
            state=CaseState.PENDING_SUPPORT if n % 3 else CaseState.OPEN,
            waiting_since=timezone.now() - timedelta(hours=n * 7 % 5),
        )
    plain = [listed(agent_admin.get(LIST, {**query, "p": p})) for p in (1, 2)]
    monkeypatch.setattr("correspondence.admin.queue.DEFERRED_JOIN_FROM", 2)
    with CaptureQueriesContext(connection) as queries:
        deep = [listed(agent_admin.get(LIST, {**query, "p": p})) for p in (1, 2)]
    assert deep == plain
    pages = [q["sql"] for q in queries.captured_queries if "_selected" not in q["sql"]]
    assert any(re.search(r"WHERE \"cases_case\"\.\"id\" IN \(SELECT", sql) for sql in pages), pages
