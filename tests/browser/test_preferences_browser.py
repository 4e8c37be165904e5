"""One language and one time zone per user, on every device, at a desktop
(1280×800) and on a phone (390×844), in English and French (issue #22, point 5):

- what the header's switcher sets on one device is what the other shows, and what
  the profile says;
- the profile's zone list keeps the saved zone; the browser's zone is offered
  beside it ("Use this zone"), never selected in its place.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cases.models import User
from tests.browser.a11y_support import set_language
from tests.browser.conftest import login

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
OTHER = {"en": "fr", "fr": "en"}
LOG_TITLE = {"en": "Case log", "fr": "Journal des cas"}


def device(browser: Any, live_server: Any, size: str, language: str, **options: Any) -> Page:
    context = browser.new_context(viewport=SIZES[size], reduced_motion="reduce", **options)
    set_language(context, live_server.url, language)
    return context.new_page()


def switch_language(page: Page, code: str) -> None:
    """Use the header's switcher as a person would (on a phone, through the menu)."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    page.locator("#language-select").select_option(code)
    with page.expect_navigation():
        page.locator(".language-form button[type=submit]").click()


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("switched_on", ["phone", "desktop"])
def test_the_switcher_on_one_device_is_the_language_of_the_other(
    browser: Any, live_server, transactional_db, seller, language, switched_on
):
    """Both devices start in the other language; the switcher is used on one; the
    other then shows the chosen language, and its profile says so."""
    other_size = "desktop" if switched_on == "phone" else "phone"
    used = device(browser, live_server, switched_on, OTHER[language])
    other = device(browser, live_server, other_size, OTHER[language])
    try:
        login(used, live_server, seller)
        login(other, live_server, seller)
        expect(other.locator("html")).to_have_attribute("lang", OTHER[language])

        switch_language(used, language)
        expect(used.locator("html")).to_have_attribute("lang", language)

        other.goto(f"{live_server.url}/cases/")
        expect(other.locator("html")).to_have_attribute("lang", language)
        expect(other.locator("h1")).to_have_text(LOG_TITLE[language])
        other.goto(f"{live_server.url}/accounts/profile/")
        expect(other.locator("form.profile-form select[name=language]")).to_have_value(language)
        seller.refresh_from_db()
        assert seller.language == language
    finally:
        used.context.close()
        other.context.close()


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_profile_keeps_the_saved_zone_and_offers_the_browsers(
    browser: Any, live_server, transactional_db, seller, language, size
):
    User.objects.filter(pk=seller.pk).update(time_zone="Asia/Tokyo")
    page = device(browser, live_server, size, language, timezone_id="America/New_York")
    try:
        login(page, live_server, seller)
        page.goto(f"{live_server.url}/accounts/profile/")
        zone = page.locator("select[name=time_zone]")
        expect(zone).to_have_value("Asia/Tokyo")  # the saved zone, not the browser's
        hint = page.locator("#browser-zone-hint")
        expect(hint).to_be_visible()
        expect(hint.locator("[data-zone]")).to_have_text("America/New York")
        expect(zone).to_have_value("Asia/Tokyo")  # still, once the script has run

        hint.locator("button").click()
        expect(zone).to_have_value("America/New_York")
        expect(zone).to_be_focused()
        expect(hint).to_be_hidden()
        with page.expect_navigation():
            page.locator("form.profile-form button[type=submit]").click()
        expect(page.locator(".messages .alert-success")).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", language)
        seller.refresh_from_db()
        assert (seller.time_zone, seller.language) == ("America/New_York", language)
        page.goto(f"{live_server.url}/cases/")
        expect(page.locator(".time-zone-note")).to_contain_text("America/New_York")
    finally:
        page.context.close()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_saved_zone_stays_the_sites_zone_until_the_user_picks_one(
    browser: Any, live_server, transactional_db, seller, language
):
    page = device(browser, live_server, "phone", language, timezone_id="America/New_York")
    try:
        login(page, live_server, seller)
        page.goto(f"{live_server.url}/accounts/profile/")
        expect(page.locator("#browser-zone-hint")).to_be_visible()
        expect(page.locator("select[name=time_zone]")).to_have_value("")
        with page.expect_navigation():
            page.locator("form.profile-form button[type=submit]").click()
        seller.refresh_from_db()
        assert seller.time_zone == ""
    finally:
        page.context.close()
