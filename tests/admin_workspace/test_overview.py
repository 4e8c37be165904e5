"""The lead's overview page (/admin/overview/): figures, freshness, the chart, who may see it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case, CaseState, SupportTeam
from correspondence.models import Message, OverviewSnapshot
from correspondence.overview import STALE_AFTER, compute_overview, overview_refresh
from tests.conftest import make_case, make_user

URL = "/admin/overview/"


@pytest.fixture
def backlog(account, seller):
    """Two teams: Payments with a slow and a fast first answer, Listings with one
    overdue escalated case; a resolved case of each age."""
    now = timezone.now()
    payments = SupportTeam.objects.create(name="Payments", response_target_hours=24)
    listings = SupportTeam.objects.create(name="Listings", response_target_hours=4)
    made = {}
    for name, team, state, hours_ago in [
        ("slow", payments, CaseState.ANSWERED, 50),
        ("fast", payments, CaseState.NEEDS_ATTENTION, 20),
        ("waiting", listings, CaseState.PENDING_SUPPORT, 10),
        ("no_team", None, CaseState.OPEN, 1),
    ]:
        case = make_case(
            account, owner=seller, state=state, created_at=now - timedelta(hours=hours_ago)
        )
        Case.objects.filter(pk=case.pk).update(support_team=team)
        made[name] = case
    # First support answers: 10 h after opening, and 2 h after.
    for name, after in [("slow", 10), ("fast", 2)]:
        case = made[name]
        Message.objects.create(
            case=case,
            direction=Message.Direction.FROM_SUPPORT,
            body="Answer",
            sent_at=case.created_at + timedelta(hours=after),
        )
        Message.objects.create(
            case=case,
            direction=Message.Direction.FROM_SUPPORT,
            body="A later answer does not count",
            sent_at=case.created_at + timedelta(hours=after + 5),
        )
    Case.objects.filter(pk=made["waiting"].pk).update(
        waiting_since=now - timedelta(hours=9), escalated_at=now - timedelta(hours=1)
    )
    resolved = make_case(account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=1)
    Case.objects.filter(pk=resolved.pk).update(
        support_team=payments, created_at=resolved.resolved_at - timedelta(hours=30)
    )
    # Resolved long ago: outside the 30 days.
    old = make_case(account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=60)
    Case.objects.filter(pk=old.pk).update(
        support_team=payments, created_at=timezone.now() - timedelta(days=70)
    )
    made.update(payments=payments, listings=listings)
    return made


def test_the_figures_count_by_team_and_turn_with_medians(backlog):
    data = compute_overview()
    payments = data["teams"][str(backlog["payments"].pk)]
    assert payments["open"] == {"seller": 1, "support": 0, "nobody": 1}
    assert payments["first_response_median"] == pytest.approx(6 * 3600)  # median of 10 h and 2 h
    assert payments["first_responses"] == 2
    assert payments["resolution_median"] == pytest.approx(30 * 3600)
    assert payments["resolutions"] == 1
    listings = data["teams"][str(backlog["listings"].pk)]
    assert listings["open"] == {"seller": 0, "support": 1, "nobody": 0}
    assert listings["first_response_median"] is None
    assert data["teams"]["0"]["open"]["support"] == 1  # the case with no team yet
    assert data["overdue"] == 1  # 9 h waiting against Listings' 4 h
    assert data["escalated"] == 1


def test_the_chart_days_count_new_and_resolved(backlog):
    days = compute_overview()["days"]
    assert len(days) == 30
    assert (
        sum(new for _day, new, _resolved in days) == 4 + 1
    )  # the open ones and the recent resolved
    assert sum(resolved for _day, _new, resolved in days) == 1
    assert days[-1][0] == timezone.localdate().isoformat()


def test_the_page_shows_the_figures_and_an_svg_chart(backlog, support_agent):
    from django.test import Client

    client = Client()
    client.force_login(support_agent)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.text
    assert "Payments" in html
    assert "Listings" in html
    assert "6.0 h" in html  # Payments' median first response
    assert 'class="bar-new"' in html
    assert 'class="bar-resolved"' in html
    assert "style=" not in html.split('class="overview-chart"', 1)[1].split("</svg>", 1)[0]
    assert "Figures as of" in html


def test_the_page_is_in_french_for_a_french_agent(backlog, support_agent):
    from django.test import Client

    client = Client()
    client.force_login(support_agent)
    client.cookies["django_language"] = "fr"
    html = client.get(URL, headers={"accept-language": "fr"}).text
    assert "Chiffres au" in html
    assert "Délai médian de première réponse" in html


def test_the_page_reads_the_stored_snapshot_in_few_queries(
    backlog, support_agent, django_assert_max_num_queries
):
    from django.test import Client

    overview_refresh()
    client = Client()
    client.force_login(support_agent)
    client.get(URL)  # warm the session and permission caches
    with django_assert_max_num_queries(8):
        assert client.get(URL).status_code == 200


def test_a_stale_snapshot_is_computed_again(backlog, support_agent):
    from django.test import Client

    overview_refresh(timezone.now() - STALE_AFTER - timedelta(minutes=1))
    client = Client()
    client.force_login(support_agent)
    client.get(URL)
    assert timezone.now() - OverviewSnapshot.objects.get().computed_at < timedelta(minutes=1)


def test_the_periodic_job_refreshes_the_figures(backlog):
    from background.periodic import PERIODIC, enqueue

    enqueue(PERIODIC["overview"])  # the test settings run tasks at once
    assert OverviewSnapshot.objects.get().data["escalated"] == 1


def test_sellers_and_staff_without_case_access_are_kept_out(seller_client, db):
    from django.test import Client

    assert seller_client.get(URL).status_code == 302  # the admin's login page
    bare_staff = make_user("bare@example.com", is_staff=True)
    client = Client()
    client.force_login(bare_staff)
    assert client.get(URL).status_code == 403


def test_the_admin_index_links_to_the_overview(support_agent):
    from django.test import Client

    client = Client()
    client.force_login(support_agent)
    assert 'href="/admin/overview/"' in client.get("/admin/").text


def test_the_chart_coordinates_stay_svg_numbers_in_french(backlog, support_agent):
    from django.test import Client

    client = Client()
    client.force_login(support_agent)
    client.cookies["django_language"] = "fr"
    html = client.get(URL, headers={"accept-language": "fr"}).text
    svg = html.split('class="overview-chart"', 1)[1].split("</svg>", 1)[0]
    assert 'y1="160.0"' in svg
    assert "," not in "".join(re.findall(r'(?:x|y|height)="([^"]*)"', svg))
    assert "6,0 h" in html  # the figures themselves in French style
