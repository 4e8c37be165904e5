"""The conversation on the case page: whose turn, the endings, keep open, escalation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from cases.models import CaseEvent, CaseHistory, CaseState, SupportTeam, Turn
from cases.services import case_transition
from correspondence import services
from correspondence.models import Message
from tests.conftest import make_case


def support_answer(case, support_agent, *, needs_action=False, body="Here is the answer."):
    return services.message_post(
        case=case,
        author=support_agent,
        direction=Message.Direction.FROM_SUPPORT,
        body=body,
        needs_action=needs_action,
    )


def seller_writes(case, seller, body="Still broken"):
    return services.message_post(
        case=case, author=seller, direction=Message.Direction.FROM_SELLER, body=body
    )


@pytest.fixture
def answered(account, seller, support_agent):
    case = make_case(account, owner=seller)
    support_answer(case, support_agent)
    case.refresh_from_db()
    return case


def test_whose_turn_follows_the_state():
    assert CaseState.NEEDS_ATTENTION.turn == Turn.SELLER
    assert {s for s in CaseState if s.turn == Turn.SUPPORT} == {
        CaseState.OPEN,
        CaseState.PENDING_SUPPORT,
        CaseState.TRANSFERRED,
        CaseState.REOPENED,
    }
    assert CaseState.ANSWERED.turn == CaseState.RESOLVED.turn == Turn.NOBODY


def test_it_shows_whose_turn_first_on_the_case_page(seller_client, account, seller, support_agent):
    case = make_case(account, owner=seller)
    support_answer(case, support_agent, needs_action=True)
    html = seller_client.get(case.get_absolute_url()).content.decode()
    assert "turn-seller" in html
    assert html.index("turn-line") < html.index("case-summary")
    assert "Keep this case open" in html
    assert "Did this solve your problem?" in html


def test_support_turn_shows_target_wait_and_later_than_usual(seller_client, account, seller):
    team = SupportTeam.objects.create(name="Payments", response_target_hours=4)
    case = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    type(case).objects.filter(pk=case.pk).update(
        support_team=team, waiting_since=timezone.now() - timedelta(hours=5)
    )
    html = seller_client.get(case.get_absolute_url()).content.decode()
    assert "usually answers within 4 hours" in html
    assert "You have waited 5" in html
    assert "Later than usual" in html
    assert "Ask for escalation" in html


def test_transfer_while_seller_must_act_keeps_the_sellers_turn(account, seller, support_agent):
    case = make_case(account, owner=seller)
    support_answer(case, support_agent, needs_action=True)
    team = SupportTeam.objects.create(name="Logistics")
    case = case_transition(case=case, event=CaseEvent.TRANSFERRED, actor=support_agent, team=team)
    assert case.state == CaseState.NEEDS_ATTENTION
    assert case.turn == Turn.SELLER
    assert case.support_team == team
    assert case.auto_resolve_at is not None  # the seller's clock keeps running
    assert CaseHistory.objects.filter(case=case, field="support_team", new_value="Logistics")
    assert not CaseHistory.objects.filter(case=case, field="state", new_value="transferred")


def test_transfer_of_a_case_on_support_turn_is_transferred(account, seller, support_agent):
    case = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    team = SupportTeam.objects.create(name="Logistics")
    case = case_transition(case=case, event=CaseEvent.TRANSFERRED, actor=support_agent, team=team)
    assert case.state == CaseState.TRANSFERRED


def test_yes_resolves_the_case_by_the_seller(
    seller_client, answered, seller, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = seller_client.post(f"/cases/{answered.id}/resolve/")
    assert response.status_code == 302
    answered.refresh_from_db()
    assert answered.state == CaseState.RESOLVED
    entry = CaseHistory.objects.filter(case=answered, field="state").last()
    assert entry.actor == seller
    assert entry.new_value == "resolved"
    assert entry.note == "Seller resolved the case"
    assert [m.to for m in mail.outbox] == [["support@caselog.example"]]
    assert f"/admin/cases/case/{answered.id}/change/" in mail.outbox[0].body


def test_my_issue_is_solved_asks_for_confirmation(seller_client, account, seller):
    case = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    page = seller_client.get(f"/cases/{case.id}/resolve/")
    assert page.status_code == 200
    assert b"confirm-resolve" in page.content
    case.refresh_from_db()
    assert case.state == CaseState.PENDING_SUPPORT  # a GET changes nothing
    seller_client.post(f"/cases/{case.id}/resolve/")
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED


def test_no_requires_a_reason_and_keeps_the_case(seller_client, answered):
    response = seller_client.post(f"/cases/{answered.id}/not-solved/", {"reason": "  "})
    assert response.status_code == 200
    assert "Say what is still wrong" in response.content.decode()
    answered.refresh_from_db()
    assert answered.state == CaseState.ANSWERED


def test_no_sends_the_reason_and_marks_answer_not_accepted(seller_client, answered, seller):
    response = seller_client.post(
        f"/cases/{answered.id}/not-solved/", {"reason": "The refund is still missing"}
    )
    assert response.status_code == 302
    answered.refresh_from_db()
    assert answered.state == CaseState.PENDING_SUPPORT
    assert answered.answer_not_accepted
    message = Message.objects.filter(case=answered).last()
    assert message.author == seller
    assert message.body == "The refund is still missing"
    assert message.subject == f"RE: {answered.short_description}"
    assert answered.may_escalate  # right after "No"
    page = seller_client.get(answered.get_absolute_url()).content.decode()
    assert "Ask for escalation" in page


def test_a_new_support_answer_clears_answer_not_accepted(
    answered, seller, support_agent, seller_client
):
    seller_client.post(f"/cases/{answered.id}/not-solved/", {"reason": "No"})
    support_answer(answered, support_agent)
    answered.refresh_from_db()
    assert not answered.answer_not_accepted


def test_keep_open_restarts_the_clock_in_the_history(seller_client, answered, settings):
    type(answered).objects.filter(pk=answered.pk).update(
        auto_resolve_at=timezone.now() + timedelta(days=1), reminder_sent_at=timezone.now()
    )
    response = seller_client.post(f"/cases/{answered.id}/keep-open/")
    assert response.status_code == 302
    answered.refresh_from_db()
    expected = timezone.now() + timedelta(days=settings.CASELOG_AUTO_RESOLVE_AFTER_DAYS)
    assert abs(answered.auto_resolve_at - expected) < timedelta(minutes=1)
    assert answered.reminder_sent_at is None
    assert CaseHistory.objects.filter(case=answered, field="auto_resolve_at").count() == 1


def test_keep_open_is_refused_when_no_clock_runs(seller_client, account, seller):
    case = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    seller_client.post(f"/cases/{case.id}/keep-open/")
    assert not CaseHistory.objects.filter(case=case, field="auto_resolve_at").exists()


def test_escalation_after_no_flags_the_case_once(
    seller_client, answered, seller, django_capture_on_commit_callbacks
):
    seller_client.post(f"/cases/{answered.id}/not-solved/", {"reason": "Wrong"})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = seller_client.post(
            f"/cases/{answered.id}/escalate/", {"reason": "not_solved", "text": ""}
        )
    assert response.status_code == 302
    answered.refresh_from_db()
    assert answered.is_escalated
    assert answered.escalation_reason == "not_solved"
    assert answered.state == CaseState.PENDING_SUPPORT  # a flag, not a state
    assert CaseHistory.objects.filter(case=answered, field="escalation", new_value="not_solved")
    assert mail.outbox[0].to == ["support@caselog.example"]
    assert "escalation" in mail.outbox[0].subject.lower()
    seller_client.post(f"/cases/{answered.id}/escalate/", {"reason": "other", "text": "again"})
    assert CaseHistory.objects.filter(case=answered, field="escalation").count() == 1


def test_escalation_other_needs_text(seller_client, account, seller):
    case = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    type(case).objects.filter(pk=case.pk).update(waiting_since=timezone.now() - timedelta(days=3))
    response = seller_client.post(f"/cases/{case.id}/escalate/", {"reason": "other", "text": ""})
    assert response.status_code == 200
    case.refresh_from_db()
    assert not case.is_escalated


def test_escalation_is_refused_on_time(seller_client, account, seller):
    case = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    type(case).objects.filter(pk=case.pk).update(waiting_since=timezone.now())
    seller_client.post(f"/cases/{case.id}/escalate/", {"reason": "no_answer"})
    case.refresh_from_db()
    assert not case.is_escalated


@pytest.mark.parametrize("action", ["resolve", "not-solved", "keep-open", "escalate"])
def test_outsider_gets_404(outsider_client, answered, action):
    response = outsider_client.post(f"/cases/{answered.id}/{action}/", {"reason": "x"})
    assert response.status_code == 404
    answered.refresh_from_db()
    assert answered.state == CaseState.ANSWERED


def test_support_reply_without_subject_gets_re(answered):
    message = Message.objects.filter(case=answered).last()
    assert message.subject == f"RE: {answered.short_description}"


def test_seller_email_carries_the_support_message(
    account, seller, support_agent, settings, django_capture_on_commit_callbacks
):
    case = make_case(account, owner=seller)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        support_answer(case, support_agent, body="Your refund left today.")
    assert "Your refund left today." in mail.outbox[0].body
    settings.CASELOG_EMAIL_INCLUDES_MESSAGE = False
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        support_answer(case, support_agent, body="Second answer.")
    assert "Second answer." not in mail.outbox[0].body


def test_a_new_owner_is_told_by_email(
    seller_client, account, seller, colleague, django_capture_on_commit_callbacks
):
    case = make_case(account, owner=seller)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        seller_client.post(
            f"/cases/{case.id}/edit/",
            {
                "primary_email": colleague.email,
                "cc_list": "",
                "short_description": case.short_description,
                "version": case.version,
            },
        )
    case.refresh_from_db()
    assert case.primary_email == colleague.email
    assert [m.to for m in mail.outbox] == [[colleague.email]]
    assert "You are now the owner of this case." in mail.outbox[0].body


def test_a_hand_off_tells_the_new_owner_once(
    seller_client, account, seller, colleague, django_capture_on_commit_callbacks
):
    cases = [make_case(account, owner=seller) for _ in range(3)]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        seller_client.post(
            f"/team/{account.pk}/",
            {"from_email": seller.email, "to_email": colleague.email, "confirm": "1"},
        )
    assert [m.to for m in mail.outbox] == [[colleague.email]]
    assert "3 cases are now yours" in mail.outbox[0].subject
    for case in cases:
        assert str(case.id) in mail.outbox[0].body


def test_support_inbox_links_to_the_admin(account, seller, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case = services.case_open(account=account, author=seller, subject="Hi", body="Help").case
    assert f"/admin/cases/case/{case.id}/change/" in mail.outbox[0].body
    assert f"/cases/{case.id}/\n" not in mail.outbox[0].body


@pytest.mark.parametrize("action", ["resolve", "not-solved", "keep-open", "escalate"])
def test_support_staff_never_act_as_the_seller(support_agent, answered, action):
    from django.test import Client

    client = Client()
    client.force_login(support_agent)
    response = client.post(f"/cases/{answered.id}/{action}/", {"reason": "x"})
    # Sent to the case's admin page (caselog.seller_pages), nothing done.
    assert response.status_code == 302
    assert response["Location"] == f"/admin/cases/case/{answered.id}/change/"
    answered.refresh_from_db()
    assert answered.state == CaseState.ANSWERED
    assert not answered.is_escalated


def test_notes_and_escalation_text_lose_control_characters(account, seller, agent):
    """What agents and sellers type into the history (a transfer note, the reason for
    an escalation, the note that clears it) follows the rule of messages: no
    control character is stored; a note of control characters only is empty."""
    from django.core.exceptions import ValidationError

    from cases.services import case_clear_escalation, case_escalate

    team = SupportTeam.objects.create(name="Payments")
    case = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    case_transition(
        case=case, event=CaseEvent.TRANSFERRED, actor=agent, team=team, note="to\x00 pay\x07ments"
    )
    assert CaseHistory.objects.filter(case=case, note="to payments").exists()

    type(case).objects.filter(pk=case.pk).update(waiting_since=timezone.now() - timedelta(days=3))
    case.refresh_from_db()
    case_escalate(case=case, actor=seller, reason="other", text="late\x1b[31m again\x7f")
    case.refresh_from_db()
    assert case.escalation_text == "late[31m again"

    with pytest.raises(ValidationError, match="Write a note"):
        case_clear_escalation(case=case, actor=agent, note="\x00\x01 \x02")
    case_clear_escalation(case=case, actor=agent, note="called\x0c the seller")
    assert CaseHistory.objects.filter(case=case, note="called the seller").exists()
