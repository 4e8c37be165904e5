"""The agents' side in the admin: waiting since, filters, confirmation, escalations."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from cases.models import Case, CaseHistory, CaseState, SupportTeam
from tests.conftest import make_case

LIST = "/admin/cases/case/"


def listed(response) -> list[int]:
    return [int(i) for i in re.findall(r"/admin/cases/case/(\d{10})/change/", response.text)]


def waiting(case, hours, team=None):
    Case.objects.filter(pk=case.pk).update(
        waiting_since=timezone.now() - timedelta(hours=hours), support_team=team
    )
    return case


def test_the_default_view_puts_the_longest_wait_first(agent_admin, account, seller):
    recent = waiting(make_case(account, owner=seller), 1)
    oldest = waiting(make_case(account, owner=seller), 50)
    answered = make_case(account, owner=seller, state=CaseState.ANSWERED)
    order = list(dict.fromkeys(listed(agent_admin.get(LIST))))
    assert order == [oldest.id, recent.id, answered.id]
    # 50 hours is past the default target (24), one hour is not.
    assert agent_admin.get(LIST).text.count('<strong class="overdue">overdue</strong>') == 1


def test_overdue_follows_each_teams_target(agent_admin, account, seller):
    fast = SupportTeam.objects.create(name="Fast", response_target_hours=2)
    slow = SupportTeam.objects.create(name="Slow", response_target_hours=72)
    late = waiting(make_case(account, owner=seller), 3, fast)
    fine = waiting(make_case(account, owner=seller), 3, slow)
    no_team_late = waiting(make_case(account, owner=seller), 30)
    overdue = set(listed(agent_admin.get(LIST, {"overdue": "1"})))
    assert overdue == {late.id, no_team_late.id}
    assert set(listed(agent_admin.get(LIST, {"overdue": "0"}))) == {fine.id}


def test_filters_by_turn_escalated_and_answer_not_accepted(agent_admin, account, seller):
    mine = make_case(account, owner=seller, state=CaseState.NEEDS_ATTENTION)
    flagged = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    Case.objects.filter(pk=flagged.pk).update(
        answer_not_accepted=True, escalated_at=timezone.now(), escalation_reason="not_solved"
    )
    assert set(listed(agent_admin.get(LIST, {"turn": "seller"}))) == {mine.id}
    assert set(listed(agent_admin.get(LIST, {"turn": "support"}))) == {flagged.id}
    assert set(listed(agent_admin.get(LIST, {"escalated": "1"}))) == {flagged.id}
    assert set(listed(agent_admin.get(LIST, {"answer_not_accepted__exact": "1"}))) == {flagged.id}


def test_resolve_on_the_case_page_asks_first(agent_admin, account, seller):
    case = make_case(account, owner=seller)
    page = agent_admin.get(f"{LIST}{case.pk}/change/")
    assert f"{LIST}{case.pk}/resolve/" in page.text
    confirm = agent_admin.get(f"{LIST}{case.pk}/resolve/")
    assert "Resolve this case?" in confirm.text
    case.refresh_from_db()
    assert case.state == CaseState.OPEN
    agent_admin.post(f"{LIST}{case.pk}/act/resolved/", {"apply": "1"})
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED


def test_an_agent_clears_an_escalation_with_a_note(agent_admin, account, seller, support_agent):
    case = make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)
    Case.objects.filter(pk=case.pk).update(
        escalated_at=timezone.now(), escalation_reason="no_answer"
    )
    assert "Clear escalation" in agent_admin.get(f"{LIST}{case.pk}/change/").text
    response = agent_admin.post(f"{LIST}{case.pk}/clear-escalation/", {"note": ""})
    assert response.status_code == 200  # the note is required
    case.refresh_from_db()
    assert case.is_escalated
    agent_admin.post(f"{LIST}{case.pk}/clear-escalation/", {"note": "Called the seller"})
    case.refresh_from_db()
    assert not case.is_escalated
    entry = CaseHistory.objects.get(case=case, field="escalation")
    assert (entry.old_value, entry.new_value, entry.note) == ("no_answer", "", "Called the seller")
    assert entry.actor == support_agent


def test_a_team_has_a_response_target(agent_admin, db):
    team = SupportTeam.objects.create(name="Payments")
    assert team.response_target_hours == 24


def test_a_saved_reply_fills_the_form_in_the_owners_language(agent_admin, account, seller):
    from correspondence.models import SavedReply

    refund = SavedReply.objects.create(
        title="Refund sent",
        body_en="Your refund was sent.",
        body_fr="Votre remboursement est parti.",
    )
    english_only = SavedReply.objects.create(title="Need invoice", body_en="Send the invoice.")
    case = make_case(account, owner=seller)
    page = agent_admin.get(f"{LIST}{case.pk}/change/")
    assert "Refund sent" in page.text
    assert "Your refund was sent.</textarea>" not in page.text  # nothing picked yet
    english = agent_admin.get(f"{LIST}{case.pk}/change/", {"saved": refund.pk})
    assert "Your refund was sent.</textarea>" in english.text
    seller.language = "fr"
    seller.save()
    french = agent_admin.get(f"{LIST}{case.pk}/change/", {"saved": refund.pk})
    assert "Votre remboursement est parti.</textarea>" in french.text
    fallback = agent_admin.get(f"{LIST}{case.pk}/change/", {"saved": english_only.pk})
    assert "Send the invoice.</textarea>" in fallback.text


def test_agents_write_saved_replies_but_cannot_delete_them(agent_admin, db):
    from correspondence.models import SavedReply

    assert agent_admin.get("/admin/correspondence/savedreply/").status_code == 200
    add = agent_admin.get("/admin/correspondence/savedreply/add/")
    assert add.status_code == 200
    assert "{case_id}" in add.text  # the placeholders are explained
    assert "{seller_email}" in add.text
    created = agent_admin.post(
        "/admin/correspondence/savedreply/add/",
        {"title": "Thanks", "body_en": "Thanks, {agent_name}", "body_fr": ""},
    )
    assert created.status_code == 302
    reply = SavedReply.objects.get(title="Thanks")
    changed = agent_admin.post(
        f"/admin/correspondence/savedreply/{reply.pk}/change/",
        {"title": "Thanks", "body_en": "Thank you.", "body_fr": "Merci."},
    )
    assert changed.status_code == 302
    assert SavedReply.objects.get(pk=reply.pk).body_fr == "Merci."
    delete = agent_admin.get(f"/admin/correspondence/savedreply/{reply.pk}/delete/")
    assert delete.status_code == 403
