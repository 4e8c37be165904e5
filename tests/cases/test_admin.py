"""Support agents in the Django admin: the list, the actions, the transfer page, permissions."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail

from cases.models import CaseHistory, CaseState, SupportTeam
from tests.conftest import make_case

LIST = "/admin/cases/case/"


@pytest.fixture
def team(db):
    return SupportTeam.objects.create(name="Payments")


def run_action(client, action, cases, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [c.pk for c in cases], **extra}
    return client.post(LIST, data, follow=True)


def test_agent_sees_every_accounts_cases(agent_admin, account, other_account, seller, outsider):
    a = make_case(account, owner=seller)
    b = make_case(other_account, owner=outsider)
    response = agent_admin.get(LIST)
    assert response.status_code == 200
    assert str(a.id) in response.text
    assert str(b.id) in response.text


def test_search_by_case_id_email_and_description(agent_admin, account, seller, colleague):
    a = make_case(account, owner=seller, short_description="Refund lost")
    b = make_case(account, owner=colleague, short_description="Listing gone")
    assert str(a.id) in agent_admin.get(LIST, {"q": str(a.id)}).text
    assert str(b.id) not in agent_admin.get(LIST, {"q": str(a.id)}).text
    assert str(b.id) in agent_admin.get(LIST, {"q": "colleague@"}).text
    assert str(a.id) in agent_admin.get(LIST, {"q": "refund"}).text


@pytest.mark.parametrize("count", [3, 40])
def test_list_query_count_is_constant(
    agent_admin, account, seller, team, count, django_assert_max_num_queries
):
    for _i in range(count):
        case = make_case(account, owner=seller)
        case.support_team = team
        case.save()
    with django_assert_max_num_queries(12):
        response = agent_admin.get(LIST)
    assert response.status_code == 200


def test_reopen_from_the_list_moves_resolved_and_refuses_others(
    agent_admin, account, seller, support_agent, django_capture_on_commit_callbacks
):
    resolved = make_case(account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=3)
    open_case = make_case(account, owner=seller, state=CaseState.OPEN)
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(agent_admin, "reopen_cases", [resolved, open_case])
    resolved.refresh_from_db()
    open_case.refresh_from_db()
    assert resolved.state == CaseState.REOPENED
    assert open_case.state == CaseState.OPEN
    assert f"Case {open_case.id} is “Open”" in response.text
    assert "1 case: Reopened." in response.text
    entry = resolved.history.get(field=CaseHistory.Field.STATE)
    assert (entry.old_value, entry.new_value, entry.actor) == (
        "resolved",
        "reopened",
        support_agent,
    )


def test_resolve_from_the_list(agent_admin, account, seller):
    cases = [
        make_case(account, owner=seller, state=s) for s in (CaseState.OPEN, CaseState.ANSWERED)
    ]
    page = run_action(agent_admin, "resolve_cases", cases)
    assert "Resolve these 2 cases?" in page.text  # asked first
    for case in cases:
        case.refresh_from_db()
        assert case.state != CaseState.RESOLVED
    run_action(agent_admin, "resolve_cases", cases, apply="1")
    for case in cases:
        case.refresh_from_db()
        assert case.state == CaseState.RESOLVED
        assert case.resolved_at is not None


def test_transfer_from_the_list_asks_for_a_team_then_applies(agent_admin, account, seller, team):
    cases = [make_case(account, owner=seller) for _i in range(2)]
    page = run_action(agent_admin, "transfer_cases", cases)
    assert "Transfer cases to another team" in page.text
    assert "Payments" in page.text
    cases[0].refresh_from_db()
    assert cases[0].state == CaseState.OPEN  # nothing happens before the team is chosen
    run_action(agent_admin, "transfer_cases", cases, apply="1", team=team.pk, note="Card issue")
    for case in cases:
        case.refresh_from_db()
        assert (case.state, case.support_team) == (CaseState.TRANSFERRED, team)
        assert case.history.filter(field="support_team", new_value="Payments").exists()
        assert case.history.get(field="state").note == "Card issue"


def test_case_page_shows_the_actions_and_applies_them(agent_admin, account, seller, team):
    case = make_case(account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=2)
    page = agent_admin.get(f"{LIST}{case.pk}/change/")
    assert page.status_code == 200
    assert f"{LIST}{case.pk}/act/reopened/" in page.text
    agent_admin.post(f"{LIST}{case.pk}/act/reopened/")
    case.refresh_from_db()
    assert case.state == CaseState.REOPENED
    form = agent_admin.get(f"{LIST}{case.pk}/transfer/")
    assert form.status_code == 200
    response = agent_admin.post(f"{LIST}{case.pk}/transfer/", {"team": team.pk, "note": ""})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.support_team) == (CaseState.TRANSFERRED, team)
    agent_admin.post(f"{LIST}{case.pk}/act/resolved/")
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED


def test_case_page_refuses_a_get_and_unknown_events(agent_admin, account, seller):
    case = make_case(account, owner=seller)
    assert agent_admin.get(f"{LIST}{case.pk}/act/resolved/").status_code == 403
    assert agent_admin.post(f"{LIST}{case.pk}/act/seller_replied/").status_code == 403
    case.refresh_from_db()
    assert case.state == CaseState.OPEN


def test_each_action_mails_the_seller_and_cc_once_after_commit(
    agent_admin, account, seller, django_capture_on_commit_callbacks
):
    case = make_case(account, owner=seller, cc_list=["boss@example.com"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run_action(agent_admin, "resolve_cases", [case], apply="1")
    assert mail.outbox == []  # nothing is sent before the commit
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sorted(sent.to + sent.cc + sent.bcc) == ["boss@example.com", "seller@example.com"]
    assert str(case.id) in sent.subject + sent.body


def test_sellers_cannot_reach_any_admin_url(seller_client, account, seller):
    case = make_case(account, owner=seller)
    for url in ["/admin/", LIST, f"{LIST}{case.pk}/change/", f"{LIST}{case.pk}/transfer/"]:
        response = seller_client.get(url)
        assert response.status_code == 302, url
        assert "/login/" in response["Location"]
    seller_client.post(f"{LIST}{case.pk}/act/resolved/")
    case.refresh_from_db()
    assert case.state == CaseState.OPEN


def test_agents_cannot_delete_or_edit_cases_or_accounts(
    agent_admin, support_agent, account, seller
):
    case = make_case(account, owner=seller)
    for perm in [
        "cases.delete_case",
        "cases.delete_selleraccount",
        "cases.change_case",
        "correspondence.delete_message",
        "correspondence.change_message",
    ]:
        assert not support_agent.has_perm(perm), perm
    assert agent_admin.post(f"{LIST}{case.pk}/delete/", {"post": "yes"}).status_code == 403
    assert agent_admin.get(f"/admin/cases/selleraccount/{account.pk}/delete/").status_code == 403
    case.refresh_from_db()


def test_staff_without_the_group_cannot_act(agent_client, account, seller):
    case = make_case(account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=1)
    response = agent_client.post(f"{LIST}{case.pk}/act/reopened/")
    assert response.status_code in (403, 404)
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED


def _files(count):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return [
        SimpleUploadedFile(f"proof-{i}.pdf", b"%PDF-1.4\nproof\n%%EOF\n", "application/pdf")
        for i in range(count)
    ]


def test_agent_reply_with_three_files_reaches_the_seller(
    agent_admin,
    seller_client,
    colleague_client,
    account,
    seller,
    django_capture_on_commit_callbacks,
):
    case = make_case(account, owner=seller, cc_list=["boss@example.com"])
    page = agent_admin.get(f"{LIST}{case.pk}/change/")
    assert f'action="{LIST}{case.pk}/reply/"' in page.text
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_admin.post(
            f"{LIST}{case.pk}/reply/",
            {"body": "Please send the invoice.", "needs_action": "on", "attachments": _files(3)},
        )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.NEEDS_ATTENTION
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to + mail.outbox[0].cc + mail.outbox[0].bcc) == [
        "boss@example.com",
        "seller@example.com",
    ]
    thread = seller_client.get(f"/cases/{case.pk}/")
    assert "Please send the invoice." in thread.text
    import re

    links = re.findall(r'href="(/attachments/[^"]+/)"', thread.text)
    assert len(set(links)) == 3
    for link in set(links):
        download = colleague_client.get(link)
        assert download.status_code == 200
        assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_agent_reply_without_must_act_answers(agent_admin, account, seller):
    case = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    agent_admin.post(f"{LIST}{case.pk}/reply/", {"body": "Done on our side."})
    case.refresh_from_db()
    assert case.state == CaseState.ANSWERED


def test_agent_reply_refuses_a_fourth_file_and_keeps_the_text(agent_admin, account, seller):
    from correspondence.models import Message

    case = make_case(account, owner=seller)
    response = agent_admin.post(
        f"{LIST}{case.pk}/reply/", {"body": "Four files attached", "attachments": _files(4)}
    )
    assert response.status_code == 200
    assert "Four files attached" in response.text
    assert "You can attach at most 3 files to a message; you selected 4." in response.text
    assert not Message.objects.filter(case=case).exists()
    case.refresh_from_db()
    assert case.state == CaseState.OPEN


def test_agent_reply_to_a_resolved_case_says_to_reopen_first(agent_admin, account, seller):
    from correspondence.models import Message

    case = make_case(account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=1)
    response = agent_admin.post(f"{LIST}{case.pk}/reply/", {"body": "Late answer"})
    assert response.status_code == 200
    assert "Late answer" in response.text
    assert "is not possible from that state" in response.text
    assert not Message.objects.filter(case=case).exists()


def test_date_hierarchy_lists_years_and_months_without_scanning_every_case(
    agent_admin, account, seller, django_assert_max_num_queries
):
    from datetime import datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    for year, month in [(2024, 3), (2026, 5), (2026, 7)]:
        make_case(
            account,
            owner=seller,
            created_at=datetime(year, month, 10, 12, tzinfo=timezone.get_current_timezone()),
        )
    with CaptureQueriesContext(connection) as queries:
        response = agent_admin.get(LIST)
    assert "created_at__year=2024" in response.text
    assert "created_at__year=2025" in response.text  # the years between first and last
    assert "created_at__year=2026" in response.text
    assert not any("DISTINCT" in q["sql"].upper() for q in queries.captured_queries)
    months = agent_admin.get(LIST, {"created_at__year": "2026"})
    assert "created_at__month=5" in months.text
    assert "created_at__month=7" in months.text
    assert "created_at__month=8" not in months.text
    days = agent_admin.get(LIST, {"created_at__year": "2026", "created_at__month": "5"})
    assert days.status_code == 200
    assert "created_at__day=10" in days.text


def test_agents_search_message_text_and_the_owners_e_mail_with_the_log_engine(
    agent_admin, account, seller, colleague
):
    from correspondence.services import case_open, message_post

    case = case_open(
        account=account, author=seller, subject="Parcel", body="Où est mon colis ?", files=()
    ).case
    message_post(case=case, author=seller, direction="seller", body="Order 402-7654321, 12,50 €")
    other = make_case(account, owner=colleague, short_description="Remboursements en retard")

    def listed(q: str) -> set[int]:
        text = agent_admin.get(LIST, {"q": q}).text
        return {pk for pk in (case.id, other.id) if str(pk) in text}

    assert listed("COLIS") == {case.id}
    assert listed("7654321") == {case.id}
    assert listed("12.50") == {case.id}
    assert listed("remboursement") == {other.id}
    assert listed(str(other.id)[:6]) == {other.id}
    assert listed("colleague@example.com") == {other.id}
    assert listed("colleague@ex") == {other.id}
    assert listed("seller@") == {case.id}
    assert listed("nothing-like-this") == set()


def test_the_case_pages_history_costs_the_same_queries_with_twenty_rows(
    agent_admin, account, seller
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import make_user

    def queries_for(case) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = agent_admin.get(f"{LIST}{case.pk}/change/")
        assert response.status_code == 200
        return len(captured)

    quiet = make_case(account, owner=seller)
    busy = make_case(account, owner=seller)
    actors = [make_user(f"agent{n}@example.com", is_staff=True) for n in range(20)]
    CaseHistory.objects.bulk_create(
        CaseHistory(case=busy, actor=actor, field=CaseHistory.Field.SHORT_DESCRIPTION, note=f"n{n}")
        for n, actor in enumerate(actors)
    )
    queries_for(quiet)  # warm the per-process caches (content types, permissions)
    assert queries_for(busy) == queries_for(quiet)
    page = agent_admin.get(f"{LIST}{busy.pk}/change/").text
    assert all(actor.email in page for actor in actors)
