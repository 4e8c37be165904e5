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
    # The browser's zone is offered beside the list (a hint), never selected in it.
    assert re.search(r'<select name="time_zone"[^>]*data-browser-zone="hint"', response.text)
    assert '<option value="America/New_York">America/New York</option>' in response.text
    assert "/static/js/time-zone.js" in response.text
    assert "<script>" not in response.text  # no inline script: the CSP forbids it


def form_data(page: str, **changes: str) -> dict[str, str]:
    """What the browser sends: the form's hidden record of what it showed, the
    fields as shown (the selected options), then the user's `changes`."""
    shown = r'<input type="hidden" name="(initial-\w+)"(?: value="([^"]*)")?'
    data = dict(re.findall(shown, page))
    for name in ("language", "time_zone"):
        data[name] = data[f"initial-{name}"]
    return {**data, **changes}


def test_it_saves_the_choices_and_switches_the_site_language(seller_client, seller):
    page = seller_client.get(URL).text
    response = seller_client.post(URL, form_data(page, language="fr", time_zone="Asia/Tokyo"))
    assert response.status_code == 302
    assert response["Location"] == URL
    assert response.cookies["django_language"].value == "fr"
    seller.refresh_from_db()
    assert (seller.language, seller.time_zone) == ("fr", "Asia/Tokyo")
    page = seller_client.get(URL)
    assert "Vos préférences ont été enregistrées." in page.text
    assert '<option value="Asia/Tokyo" selected>' in page.text


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


def test_it_shows_the_language_in_effect_and_the_saved_zone(client, seller):
    """Another device's cookie does not win over the saved language: the profile and
    the page agree (the header's switcher saved French on the phone)."""
    User.objects.filter(pk=seller.pk).update(language="fr", time_zone="Asia/Tokyo")
    client.force_login(seller)
    client.cookies["django_language"] = "en"  # the desktop's last choice

    page = client.get(URL).text

    assert '<html lang="fr"' in page
    assert '<input type="hidden" name="initial-language" value="fr"' in page
    assert re.search(r'<option value="fr" selected>', page)
    assert '<option value="Asia/Tokyo" selected>' in page
    assert '<input type="hidden" name="initial-time_zone" value="Asia/Tokyo" id=' in page


def test_saving_only_a_new_zone_leaves_the_language_alone(client, seller):
    """The desktop opened the profile in English; meanwhile the phone's switcher saved
    French. Saving the desktop's form with only a new zone keeps French: the
    language field was not touched on this form."""
    User.objects.filter(pk=seller.pk).update(language="en")
    client.force_login(seller)
    page = client.get(URL).text
    assert '<option value="en" selected>' in page
    User.objects.filter(pk=seller.pk).update(language="fr")  # the phone's switcher

    response = client.post(URL, form_data(page, time_zone="America/New_York"))

    assert response.status_code == 302
    seller.refresh_from_db()
    assert (seller.language, seller.time_zone) == ("fr", "America/New_York")
    assert '<html lang="fr"' in client.get(URL).text


def test_saving_only_a_new_language_leaves_the_zone_alone(client, seller):
    User.objects.filter(pk=seller.pk).update(language="en", time_zone="Asia/Tokyo")
    client.force_login(seller)
    page = client.get(URL).text
    User.objects.filter(pk=seller.pk).update(time_zone="Europe/Lisbon")  # another tab

    client.post(URL, form_data(page, language="fr"))

    seller.refresh_from_db()
    assert (seller.language, seller.time_zone) == ("fr", "Europe/Lisbon")


def test_the_language_shown_is_saved_when_none_was(client, seller):
    """A user with no saved language reads the site in their browser's: the first
    save of the profile makes it theirs, for the site and the e-mails alike."""
    client.force_login(seller)
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="fr").text
    client.post(URL, form_data(page, time_zone="Asia/Tokyo"), HTTP_ACCEPT_LANGUAGE="fr")
    seller.refresh_from_db()
    assert (seller.language, seller.time_zone) == ("fr", "Asia/Tokyo")
