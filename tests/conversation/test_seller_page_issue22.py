"""Issue 22, items 1–3: what the seller is to act on, first; a case about to close
says so (page and log); the log's rows say what the case page knows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case, CaseState, SupportTeam
from cases.services import case_auto_resolve, case_claim_reminder
from correspondence import services
from correspondence.models import Message
from tests.conftest import make_case
from tests.correspondence.conftest import pdf

LOG = "/cases/"


def support_answer(case, agent, *, needs_action=True, body="Please send the invoice.", files=()):
    return services.message_post(
        case=case,
        author=agent,
        direction=Message.Direction.FROM_SUPPORT,
        subject="Invoice needed",
        body=body,
        needs_action=needs_action,
        files=list(files),
    )


def row_of(response, case_id) -> str:
    match = re.search(
        rf"<tr[^>]*>(?:(?!</tr>).)*>{case_id}</a>(?:(?!</tr>).)*</tr>", response.text, re.S
    )
    assert match, f"no row for case {case_id}"
    return match.group(0)


# --- 1. Support's latest message, under the turn line ---------------------------


@pytest.mark.parametrize(
    ("language", "heading", "question"),
    [
        ("en", "Seller Support's latest message", "Did this solve your problem?"),
        (
            "fr",
            "Dernier message du Support vendeur",
            "Cette réponse a-t-elle résolu votre problème",
        ),
    ],
)
@pytest.mark.parametrize("needs_action", [True, False])
def test_support_latest_message_comes_before_the_summary_and_the_form(
    seller_client, account, seller, support_agent, language, heading, question, needs_action
):
    case = make_case(account, owner=seller)
    support_answer(case, support_agent, needs_action=needs_action, files=[pdf("facture.pdf")])
    html = seller_client.get(case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language).text
    assert heading in html
    top = html.index("latest-support")
    assert html.index("turn-line") < top < html.index("case-summary") < html.index("reply-form")
    block = html[top : html.index("case-summary")]
    assert "Please send the invoice." in block
    assert "facture.pdf" in block  # its files, with it
    assert question in block  # "Did this solve your problem?" goes with it, once
    assert html.count('id="did-it-solve"') == 1
    assert "Contact history" in html or "Historique" in html  # the history stays below


def test_no_latest_message_block_on_support_turn(seller_client, account, seller):
    case = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    html = seller_client.get(case.get_absolute_url()).text
    assert "latest-support" not in html


@pytest.mark.parametrize(
    ("language", "sent"),
    [("en", "Your message was sent to Seller Support."), ("fr", None)],
)
def test_after_sending_the_notice_stands_above_the_sent_message(
    seller_client, account, seller, support_agent, language, sent
):
    case = make_case(account, owner=seller)
    support_answer(case, support_agent)
    response = seller_client.post(
        f"/cases/{case.id}/reply/",
        {"subject": "Invoice", "body": "Here it is, attached."},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.id}/#sent"
    message = Message.objects.get(case=case, direction=Message.Direction.FROM_SELLER)
    assert message.body == "Here it is, attached."
    html = seller_client.get(response["Location"], HTTP_ACCEPT_LANGUAGE=language).text
    notice = html.index('id="sent"')
    assert html.index("reply-form") < notice < html.index(f'id="message-{message.pk}"')
    if sent:
        assert sent in html[notice : notice + 300]
    # Not also at the top: the notice is where the page opens.
    assert html.count('id="sent"') == 1
    top_notices = html[: html.index("turn-line")]
    assert "alert-success" not in top_notices


# --- 2. A case about to close; a case closed automatically ----------------------


def _reminded(account, seller, support_agent, hours_left: float) -> Case:
    case = make_case(account, owner=seller)
    support_answer(case, support_agent, needs_action=False)
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(auto_resolve_at=now - timedelta(seconds=1))
    assert case_claim_reminder(case_id=case.pk, now=now) is not None
    Case.objects.filter(pk=case.pk).update(auto_resolve_at=now + timedelta(hours=hours_left))
    case.refresh_from_db()
    return case


@pytest.mark.parametrize(
    ("language", "hours_left", "text", "keep"),
    [
        ("en", 22.5, "Closes automatically in 23 h", "Keep open"),
        ("fr", 22.5, "Clôture automatique dans 23 h", "Garder ouvert"),
        ("en", 71, "Closes automatically in 3 days", "Keep open"),
        ("fr", 71, "Clôture automatique dans 3 jours", "Garder ouvert"),
    ],
)
def test_a_case_about_to_close_says_so_on_its_page_and_in_the_log(
    seller_client, account, seller, support_agent, language, hours_left, text, keep
):
    case = _reminded(account, seller, support_agent, hours_left)
    page = seller_client.get(case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language).text
    turn = page[page.index("turn-line") : page.index("latest-support")]
    assert text in turn
    assert keep in turn
    assert f'action="/cases/{case.id}/keep-open/"' in turn
    row = row_of(seller_client.get(LOG, HTTP_ACCEPT_LANGUAGE=language), case.id)
    assert text in row
    assert f'action="/cases/{case.id}/keep-open/"' in row
    # "Keep open" from the log keeps it open: the reminder is withdrawn.
    seller_client.post(f"/cases/{case.id}/keep-open/")
    case.refresh_from_db()
    assert case.reminder_sent_at is None
    row = row_of(seller_client.get(LOG), case.id)
    assert "Closes automatically" not in row


def test_before_the_reminder_nothing_says_closes(seller_client, account, seller, support_agent):
    case = make_case(account, owner=seller)
    support_answer(case, support_agent, needs_action=False)
    case.refresh_from_db()
    assert case.auto_resolve_at is not None
    assert case.reminder_sent_at is None
    assert "Closes automatically" not in seller_client.get(case.get_absolute_url()).text
    assert "Closes automatically" not in row_of(seller_client.get(LOG), case.id)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "This case was resolved automatically on"),
        ("fr", "Ce cas a été résolu automatiquement le"),
    ],
)
def test_a_case_closed_automatically_says_so_at_the_top(
    seller_client, account, seller, support_agent, language, text
):
    case = _reminded(account, seller, support_agent, 0.5)
    assert case_auto_resolve(case_id=case.pk, now=timezone.now() + timedelta(hours=1))
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED
    page = seller_client.get(case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language).text
    turn = page[page.index("turn-line") : page.index("case-summary")]
    assert text in turn


def test_a_case_the_seller_resolved_does_not_say_automatically(
    seller_client, account, seller, support_agent
):
    case = make_case(account, owner=seller)
    support_answer(case, support_agent, needs_action=False)
    assert seller_client.post(f"/cases/{case.id}/resolve/").status_code == 302
    page = seller_client.get(case.get_absolute_url()).text
    assert "This case is resolved." in page
    assert "resolved automatically on" not in page


# --- 3. The log's rows: waited, later than usual, escalated ---------------------


@pytest.mark.parametrize(
    ("language", "waiting", "late"),
    [("en", "Waiting 5", "Later than usual"), ("fr", "En attente depuis 5", "Plus tard que d")],
)
def test_the_log_row_says_how_long_support_kept_the_seller_waiting(
    seller_client, account, seller, language, waiting, late
):
    team = SupportTeam.objects.create(name="Payments", response_target_hours=4)
    late_case = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    on_time = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    now = timezone.now()
    Case.objects.filter(pk=late_case.pk).update(
        support_team=team, waiting_since=now - timedelta(hours=5, minutes=1)
    )
    Case.objects.filter(pk=on_time.pk).update(waiting_since=now - timedelta(hours=5, minutes=1))
    response = seller_client.get(LOG, HTTP_ACCEPT_LANGUAGE=language)
    late_row, on_time_row = row_of(response, late_case.id), row_of(response, on_time.id)
    assert waiting in late_row
    assert waiting in on_time_row
    assert "overdue-badge" in late_row  # past the team's 4 h
    assert late in late_row
    assert "overdue-badge" not in on_time_row  # within the default 24 h


def test_the_log_row_says_escalated(seller_client, account, seller):
    case = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    Case.objects.filter(pk=case.pk).update(escalated_at=timezone.now())
    row = row_of(seller_client.get(LOG), case.id)
    assert "escalated-badge" in row
    assert "Escalated" in row
    row = row_of(seller_client.get(LOG, HTTP_ACCEPT_LANGUAGE="fr"), case.id)
    assert "escalated-badge" in row


def test_the_log_reads_the_rows_marks_without_a_query_per_row(seller_client, account, seller):
    teams = [
        SupportTeam.objects.create(name=f"Team {n}", response_target_hours=n + 1) for n in range(3)
    ]
    now = timezone.now()
    for n in range(12):
        case = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
        Case.objects.filter(pk=case.pk).update(
            support_team=teams[n % 3], waiting_since=now - timedelta(hours=n), escalated_at=now
        )
    seller_client.get(LOG)  # warm the session
    with CaptureQueriesContext(connection) as few:
        seller_client.get(LOG, {"per_page": "25"})
    for n in range(12):
        case = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
        Case.objects.filter(pk=case.pk).update(
            support_team=teams[n % 3], waiting_since=now - timedelta(hours=n)
        )
    with CaptureQueriesContext(connection) as many:
        response = seller_client.get(LOG, {"per_page": "25"})
    assert response.text.count("overdue-badge") >= 10
    assert len(many) == len(few)
