"""Issue 22.7, 22.3 and 22.9: the log on a phone shows cases on its first screen, the
French header cells keep their sort arrows, the header's "yours" count is in view at
1280 px and on a phone, and pages do not move after their first paint."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from cases.models import CaseState
from tests.browser.conftest import login
from tests.conftest import make_case

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

# Layout shifts summed by a buffered observer once the page has loaded: what
# Lighthouse's cumulative layout shift counts (shifts right after an input excluded).
LAYOUT_SHIFT = """() => new Promise((resolve) => {
  let total = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) { if (!entry.hadRecentInput) total += entry.value; }
  }).observe({type: "layout-shift", buffered: true});
  setTimeout(() => resolve(total), 500);
})"""


@pytest.fixture
def log_cases(transactional_db, account, seller, colleague):
    cases = []
    for number, state in enumerate(list(CaseState) * 2):
        owner = seller if number % 2 else colleague
        cases.append(
            make_case(
                account,
                owner=owner,
                state=state,
                resolved_days_ago=3,
                short_description="Réclamation : garantie refusée à tort, commande 402-1234567",
            )
        )
    make_case(account, owner=seller, state=CaseState.NEEDS_ATTENTION)
    return cases


def open_log(page: Page, live_server, seller, language: str, viewport: dict) -> None:
    page.set_viewport_size(viewport)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    login(page, live_server, seller)
    page.wait_for_load_state("load")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_phone_shows_at_least_two_and_a_half_cases_on_the_first_screen(
    page: Page, live_server, log_cases, seller, language
):
    open_log(page, live_server, seller, language, PHONE)
    cards = page.evaluate(
        "() => [...document.querySelectorAll('.case-table tbody tr')].map((row) => {"
        " const box = row.getBoundingClientRect(); return [box.top, box.bottom]; })"
    )
    height = PHONE["height"]
    visible = sum(
        max(0.0, min(bottom, height) - max(top, 0)) / (bottom - top) for top, bottom in cards
    )
    assert visible >= 2.5, f"only {visible:.2f} cases on a phone's first screen in {language}"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_phone_sorts_with_one_control(page: Page, live_server, log_cases, seller, language):
    open_log(page, live_server, seller, language, PHONE)
    page.goto(f"{live_server.url}/cases/?state=needs_attention&state=open")
    expect(page.locator(".case-table thead")).to_be_hidden()
    select = page.locator("select[name=o]")
    expect(select).to_be_visible()
    with page.expect_navigation():
        select.select_option("state")  # submitted on change (caselog.js)
    query = parse_qs(urlsplit(page.url).query)
    assert query["o"] == ["state"]
    assert sorted(query["state"]) == ["needs_attention", "open"]  # the view is kept
    expect(page.locator("select[name=o] option:checked")).to_have_attribute("value", "state")
    # The form's button does the same without JavaScript.
    select.evaluate("(element) => { element.value = '-activity'; }")
    with page.expect_navigation():
        page.locator(".sort-form button[type=submit]").click()
    assert parse_qs(urlsplit(page.url).query)["o"] == ["-activity"]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_sort_arrow_is_inside_its_header_cell_at_1280(
    page: Page, live_server, log_cases, seller, language
):
    open_log(page, live_server, seller, language, DESKTOP)
    clipped = page.evaluate(
        "() => [...document.querySelectorAll('.case-table thead th')].filter((cell) => {"
        " const arrow = cell.querySelector('.sort-indicator'); if (!arrow) return false;"
        " const box = cell.getBoundingClientRect(), mark = arrow.getBoundingClientRect();"
        " return mark.width === 0 || mark.right > box.right || mark.left < box.left"
        "   || mark.bottom > box.bottom || cell.scrollWidth > cell.clientWidth;"
        " }).map((cell) => cell.textContent.trim())"
    )
    assert clipped == [], f"sort arrows clipped in {language}: {clipped}"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_header_shows_the_users_own_count(
    page: Page, live_server, log_cases, seller, language, viewport
):
    open_log(page, live_server, seller, language, viewport)
    mine = "(dont 2 à vous)" if language == "fr" else "(2 yours)"
    shown = page.locator(".site-header").get_by_text(mine, exact=True).filter(visible=True)
    expect(shown).to_have_count(1)
    box = shown.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= 80, "the count is below the header"
    # The header stays one line: the count does not push the rest of it down, and
    # the log-out button sits on the brand's line (in French the longest).
    assert page.locator(".site-header").bounding_box()["height"] <= 80
    if viewport == DESKTOP:
        brand = page.locator(".site-header .navbar-brand").bounding_box()
        logout = page.locator(".site-header form[action$='/logout/'] button").bounding_box()
        assert brand is not None
        assert logout is not None
        assert (
            abs((logout["y"] + logout["height"] / 2) - (brand["y"] + brand["height"] / 2)) < 12
        ), "the log-out button wrapped to a second line"


@pytest.fixture
def a_case(log_cases):
    return log_cases[0]


@pytest.mark.parametrize("path", ["/cases/", "/cases/{id}/", "/cases/new/"])
def test_a_phone_page_does_not_move_after_its_first_paint(
    page: Page, live_server, a_case, seller, path
):
    open_log(page, live_server, seller, "en", PHONE)

    def slow_script(route: Route) -> None:
        # Scripts arrive after the first paint, as on a phone's network (the
        # deferred scripts once folded the menu then and moved the page).
        time.sleep(0.6)
        route.continue_()

    page.route("**/*.js", slow_script)
    page.goto(live_server.url + path.format(id=a_case.pk), wait_until="load")
    shift = page.evaluate(LAYOUT_SHIFT)
    assert shift < 0.1, f"{path}: cumulative layout shift {shift:.3f}"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_long_e_mail_keeps_the_desktop_header_on_one_line(
    page: Page, live_server, log_cases, account, language
):
    """With a real-world e-mail and a two-digit count, the French header at 1280 px
    wrapped its log-out button to a second line; the e-mail gives way instead."""
    from tests.conftest import make_user

    long_name = make_user("marie-claire.dupont-laferriere@boutique-exemple.fr", account=account)
    for _ in range(12):
        make_case(account, owner=long_name, state=CaseState.NEEDS_ATTENTION)
    open_log(page, live_server, long_name, language, DESKTOP)
    brand = page.locator(".site-header .navbar-brand").bounding_box()
    logout = page.locator(".site-header form[action$='/logout/'] button").bounding_box()
    assert brand is not None
    assert logout is not None
    middle = logout["y"] + logout["height"] / 2
    assert abs(middle - (brand["y"] + brand["height"] / 2)) < 12, "the log-out button wrapped"
    assert page.locator(".site-header").bounding_box()["height"] <= 60
