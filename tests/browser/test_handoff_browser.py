"""The team page's hand-off in the browser: the person chosen in "Hand off the cases
of" is not offered in "To" (static/js/hand-off.js), in English and French."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.a11y_support import set_language
from tests.browser.conftest import login


@pytest.mark.parametrize("language", ["en", "fr"])
def test_to_never_offers_the_from_person(
    page: Page, live_server, transactional_db, account, seller, colleague, language
):
    set_language(page.context, live_server.url, language)
    login(page, live_server, seller)
    page.goto(f"{live_server.url}/team/{account.pk}/")
    source = page.locator(".handoff-form select[name=from_email]")
    target = page.locator(".handoff-form select[name=to_email]")
    expect(source).to_have_value("")
    expect(target).to_have_value("")

    target.select_option(colleague.email)
    source.select_option(colleague.email)
    expect(target).to_have_value("")  # the same person is taken out of "To"
    expect(target.locator(f'option[value="{colleague.email}"]')).to_be_disabled()
    expect(target.locator(f'option[value="{seller.email}"]')).to_be_enabled()

    source.select_option(seller.email)
    expect(target.locator(f'option[value="{colleague.email}"]')).to_be_enabled()
    expect(target.locator(f'option[value="{seller.email}"]')).to_be_disabled()
