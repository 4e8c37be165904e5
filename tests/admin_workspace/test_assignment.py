"""Assignment (#21.4): "Take", "Assign to…" (an agent), the queue's filters and
column, the history, and a reply that takes an unassigned case."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError

from cases.models import Case, CaseHistory, CaseState
from cases.services import case_assign
from tests.conftest import _login, make_case, make_user, support_agents_group

LIST = "/admin/cases/case/"


@pytest.fixture
def colleague_agent(db):
    user = make_user("second-agent@example.com", is_staff=True, first_name="Lou")
    user.groups.add(support_agents_group())
    return user


@pytest.fixture
def agent_admin(support_agent):
    return _login(support_agent)


@pytest.fixture
def case(account, seller):
    return make_case(account, owner=seller, state=CaseState.PENDING_SUPPORT)


def assignee_of(case) -> str | None:
    assignee = Case.objects.get(pk=case.pk).assignee
    return assignee.email if assignee else None


def test_take_assigns_the_case_to_me_and_records_it(agent_admin, case, support_agent):
    response = agent_admin.post(f"{LIST}{case.pk}/take/")
    assert response.status_code == 302
    assert assignee_of(case) == support_agent.email
    row = CaseHistory.objects.get(case=case, field=CaseHistory.Field.ASSIGNEE)
    assert (row.old_display, row.new_display) == ("Unassigned", support_agent.email)
    assert row.actor == support_agent
    page = agent_admin.get(f"{LIST}{case.pk}/change/")
    assert "Assignee" in page.text
    assert agent_admin.get(f"{LIST}{case.pk}/take/").status_code == 403  # POST only


def test_taking_it_again_changes_nothing(agent_admin, case):
    agent_admin.post(f"{LIST}{case.pk}/take/")
    agent_admin.post(f"{LIST}{case.pk}/take/")
    assert CaseHistory.objects.filter(case=case, field=CaseHistory.Field.ASSIGNEE).count() == 1


def test_assign_to_offers_the_agents_only_and_assigns(agent_admin, case, colleague_agent, seller):
    make_user("staff-without-group@example.com", is_staff=True)
    page = agent_admin.get(f"{LIST}{case.pk}/assign/")
    assert colleague_agent.email in page.text
    assert "staff-without-group@example.com" not in page.text
    assert seller.email not in page.text.split('name="assignee"', 1)[1].split("</select>")[0]
    refused = agent_admin.post(f"{LIST}{case.pk}/assign/", {"assignee": seller.pk})
    assert refused.status_code == 200
    assert assignee_of(case) is None
    agent_admin.post(f"{LIST}{case.pk}/assign/", {"assignee": colleague_agent.pk})
    assert assignee_of(case) == colleague_agent.email


def test_the_service_refuses_a_non_agent(case, seller, support_agent):
    with pytest.raises(ValidationError):
        case_assign(case=case, actor=support_agent, assignee=seller)
    assert assignee_of(case) is None
    assert not CaseHistory.objects.filter(case=case).exists()


def test_list_actions_take_and_assign(agent_admin, account, seller, support_agent, colleague_agent):
    cases = [make_case(account, owner=seller) for _ in range(3)]
    agent_admin.post(
        LIST, {"action": "take_cases", ACTION_CHECKBOX_NAME: [c.pk for c in cases[:2]]}
    )
    assert [assignee_of(c) for c in cases] == [support_agent.email] * 2 + [None]
    confirm = agent_admin.post(
        LIST, {"action": "assign_cases", ACTION_CHECKBOX_NAME: [cases[2].pk]}
    )
    assert confirm.status_code == 200
    assert colleague_agent.email in confirm.text
    agent_admin.post(
        LIST,
        {
            "action": "assign_cases",
            ACTION_CHECKBOX_NAME: [cases[2].pk],
            "apply": "1",
            "assignee": colleague_agent.pk,
        },
    )
    assert assignee_of(cases[2]) == colleague_agent.email


def test_assigned_to_me_and_unassigned_filters_and_the_column(
    agent_admin, account, seller, support_agent, colleague_agent
):
    mine = make_case(account, owner=seller, short_description="Mine to handle")
    theirs = make_case(account, owner=seller, short_description="Theirs to handle")
    nobody = make_case(account, owner=seller, short_description="Nobody handles")
    case_assign(case=mine, actor=support_agent, assignee=support_agent)
    case_assign(case=theirs, actor=support_agent, assignee=colleague_agent)
    listed = agent_admin.get(LIST)
    assert colleague_agent.email in listed.text  # the assignee column
    for query, shown in [("me", mine), ("none", nobody)]:
        page = agent_admin.get(LIST, {"assigned": query})
        ids = {c.pk for c in (mine, theirs, nobody) if f"{LIST}{c.pk}/change/" in page.text}
        assert ids == {shown.pk}, query


def test_a_reply_to_an_unassigned_case_takes_it(agent_admin, case, support_agent):
    agent_admin.post(
        f"{LIST}{case.pk}/reply/", {"body": "On it.", "submission_id": str(uuid.uuid4())}
    )
    assert assignee_of(case) == support_agent.email
    assert CaseHistory.objects.filter(case=case, field=CaseHistory.Field.ASSIGNEE).count() == 1


def test_a_reply_to_a_colleagues_case_leaves_it_theirs(
    agent_admin, case, support_agent, colleague_agent
):
    case_assign(case=case, actor=colleague_agent, assignee=colleague_agent)
    agent_admin.post(
        f"{LIST}{case.pk}/reply/", {"body": "Helping out.", "submission_id": str(uuid.uuid4())}
    )
    assert Case.objects.get(pk=case.pk).state == CaseState.ANSWERED
    assert assignee_of(case) == colleague_agent.email


def test_a_seller_cannot_take_or_assign(seller_client, case):
    assert seller_client.post(f"{LIST}{case.pk}/take/").status_code == 302  # to the admin login
    assert seller_client.post(f"{LIST}{case.pk}/assign/").status_code == 302
    assert assignee_of(case) is None


def test_the_agents_tools_speak_french(agent_admin, case, support_agent):
    from django.conf import settings

    from correspondence.services import case_note_add

    case_note_add(case=case, author=support_agent, body="Une remarque")
    agent_admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = agent_admin.get(f"{LIST}{case.pk}/change/")
    for words in ("Note interne", "Ajouter une note interne", "Prendre", "Assigner à…"):
        assert words in page.text, words
    listed = agent_admin.get(LIST)
    assert "Assignés à moi" in listed.text
    assert "Non assigné" in listed.text


def test_the_seller_does_not_see_who_the_case_is_assigned_to(
    agent_admin, case, seller_client, support_agent
):
    agent_admin.post(f"{LIST}{case.pk}/take/")
    page = seller_client.get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    assert support_agent.email not in page.text
    assert "Assignee" not in page.text
