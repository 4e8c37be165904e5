"""The profile page: the user's language and time zone, and every time shown in it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from cases.models import User
from tests.conftest import make_case

URL = "/accounts/profile/"


def test_it_offers_language_and_time_zone_with_the_browser_zone_script(seller_client):
    response = seller_client.get(URL)
    assert response.status_code == 200
    assert 'name="language"' in response.text
    assert re.search(r'<select name="time_zone"[^>]*data-browser-zone="offer"', response.text)
    assert '<option value="America/New_York">America/New York</option>' in response.text
    assert "/static/js/time-zone.js" in response.text
    assert "<script>" not in response.text  # no inline script: the CSP forbids it


def test_it_saves_the_choices_and_switches_the_site_language(seller_client, seller):
    response = seller_client.post(URL, {"language": "fr", "time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    assert response["Location"] == URL
    assert response.cookies["django_language"].value == "fr"
    seller.refresh_from_db()
    assert (seller.language, seller.time_zone) == ("fr", "Asia/Tokyo")
    page = seller_client.get(URL)
    assert "Vos préférences ont été enregistrées." in page.text
    assert re.search(r'data-browser-zone="hint"', page.text)


def test_an_unknown_zone_is_refused_and_nothing_is_saved(seller_client, seller):
    response = seller_client.post(URL, {"language": "fr", "time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 200
    assert "Mars/Olympus_Mons" in response.text  # the error names the bad value
    seller.refresh_from_db()
    assert (seller.language, seller.time_zone) == ("", "")


def test_a_blank_zone_means_the_sites(seller_client, seller):
    seller.time_zone = "Asia/Tokyo"
    seller.save()
    seller_client.post(URL, {"language": "en", "time_zone": ""})
    seller.refresh_from_db()
    assert seller.time_zone == ""


def test_anonymous_users_are_sent_to_the_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_every_page_shows_times_in_the_users_zone_and_says_which(seller_client, seller, account):
    case = make_case(account, owner=seller, created_at=datetime(2026, 1, 15, 23, 30, tzinfo=UTC))
    log = seller_client.get("/cases/").text
    assert "15 Jan 2026, 23:30" not in log
    assert "16 Jan 2026, 00:30" in log  # Europe/Paris, the site's zone
    assert "Times are shown in the Europe/Paris time zone." in log

    User.objects.filter(pk=seller.pk).update(time_zone="America/Los_Angeles")
    log = seller_client.get("/cases/").text
    assert "15 Jan 2026, 15:30" in log
    assert "Times are shown in the America/Los_Angeles time zone." in log
    page = seller_client.get(f"/cases/{case.id}/").text
    assert "15 Jan 2026, 15:30" in page
    assert "America/Los_Angeles" in page


def test_a_zone_the_system_no_longer_knows_falls_back_to_the_sites(seller_client, seller):
    User.objects.filter(pk=seller.pk).update(time_zone="Nowhere/Gone")
    response = seller_client.get("/cases/")
    assert response.status_code == 200
    assert "Europe/Paris" in response.text
