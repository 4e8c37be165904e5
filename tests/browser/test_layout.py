"""The log fits a desktop screen in both languages: no column hidden behind a scrollbar."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from cases.models import CaseState
from tests.browser.conftest import login
from tests.conftest import make_case


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_log_table_fits_a_1280_pixel_screen(
    page: Page, live_server, transactional_db, account, seller, colleague, language
):
    for state in CaseState:
        make_case(
            account,
            owner=colleague,
            state=state,
            resolved_days_ago=3,
            short_description="Réclamation A à Z : garantie refusée à tort, commande 402-1234567",
        )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    login(page, live_server, seller)
    overflow = page.evaluate(
        "() => { const box = document.querySelector('.table-responsive');"
        " return box.scrollWidth - box.clientWidth; }"
    )
    assert overflow <= 0, f"the case table is {overflow}px wider than the page in {language}"
