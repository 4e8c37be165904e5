"""The screens a seller sees, at a desktop (1280×800) and on a phone (390×844), in
English and French: the log is list first (≥ 8 rows above the fold on a desktop, the
first case on the first phone screen), no page scrolls sideways, no e-mail address
is broken inside, and the phone menu and the "Filters" control work by keyboard.

Set SCREENS_DIR to keep a full-page screenshot of every page at both sizes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from cases.models import CaseState
from cases.services import case_update
from correspondence.models import Message
from correspondence.services import case_open, message_post
from tests.browser.a11y_support import FATAL_IMPACTS, run_axe, set_language
from tests.browser.conftest import login
from tests.conftest import make_case

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
LONG_NAME = "releve-bancaire-du-mois-de-novembre-avec-toutes-les-commandes-remboursees.pdf"

# How far the page scrolls sideways (0: not at all).
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
# Every e-mail address shown in the page whose text spans more than one line box.
BROKEN_ADDRESSES = r"""() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const address = /[\w.+-]+@[\w-]+(\.[\w-]+)+/g;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || !parent.offsetParent) continue;
    if (parent.closest(".visually-hidden, option, script")) continue;
    for (const match of node.data.matchAll(address)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top)));
      if (tops.size > 1) found.push(match[0]);
    }
  }
  return found;
}"""
# Case rows (or cards) of the log wholly inside the first screen.
ROWS_ABOVE_FOLD = """() => Array.from(document.querySelectorAll('.case-table tbody tr'))
  .filter((row) => row.getBoundingClientRect().bottom <= window.innerHeight).length"""
FIRST_CASE_TOP = """() => document.querySelector('.case-table tbody tr')
  .getBoundingClientRect().top"""


@pytest.fixture
def seller_scene(transactional_db, account, seller, colleague, support_agent) -> Any:
    """A full log (long French-like descriptions, every state, some cases opened by a
    colleague) and a case with a thread, files with long names and a history."""
    states = list(CaseState)
    for n in range(40):
        make_case(
            account,
            owner=seller if n % 3 else colleague,
            state=states[n % len(states)],
            resolved_days_ago=3,
            short_description=(
                f"Réclamation n°{n} : remboursement refusé pour la commande 402-12345{n:02d}"
            ),
        )
    opened = case_open(
        account=account,
        author=colleague,
        subject="Virement non reçu — payout not received",
        body="Le virement de la semaine dernière n'est pas arrivé.",
        files=[SimpleUploadedFile(LONG_NAME, PDF, content_type="application/pdf")],
    ).case
    message_post(
        case=opened,
        author=support_agent,
        direction=Message.Direction.FROM_SUPPORT,
        body="Merci d'envoyer le relevé bancaire.",
        needs_action=True,
    )
    opened.refresh_from_db()
    case_update(
        case=opened,
        actor=colleague,
        expected_version=opened.version,
        primary_email=seller.email,
        cc_list=["comptabilite.fournisseurs@example.com", colleague.email],
        short_description="Virement non reçu pour la période du 1er au 15 novembre",
    )
    return opened


def _shoot(page: Page, name: str) -> None:
    folder = os.environ.get("SCREENS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / f"{name}.png", full_page=True)
        page.screenshot(path=Path(folder) / f"{name}-first-screen.png")


def _check_page(page: Page, name: str, problems: list[str]) -> None:
    page.wait_for_load_state("load")
    _shoot(page, name)
    sideways = page.evaluate(SIDEWAYS)
    if sideways > 0:
        problems.append(f"[{name}] scrolls {sideways}px sideways")
    broken = page.evaluate(BROKEN_ADDRESSES)
    if broken:
        problems.append(f"[{name}] e-mail addresses broken across lines: {broken}")


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_seller_page_fits_the_screen(
    page: Page, live_server, seller_scene, seller, language, size
):
    viewport = DESKTOP if size == "desktop" else PHONE
    page.set_viewport_size(viewport)
    set_language(page.context, live_server.url, language)
    problems: list[str] = []
    base = live_server.url
    tag = f"{language}-{size}"

    page.goto(f"{base}/accounts/login/")
    _check_page(page, f"{tag}-login", problems)
    page.goto(f"{base}/accounts/password_reset/")
    _check_page(page, f"{tag}-password-reset", problems)
    login(page, live_server, seller)

    page.goto(f"{base}/cases/")
    _check_page(page, f"{tag}-log", problems)
    if size == "desktop":
        header = page.locator("header.navbar").bounding_box()
        assert header is not None
        assert header["height"] < 64, f"the header wraps in {language}"
        rows = page.evaluate(ROWS_ABOVE_FOLD)
        assert rows >= 8, f"{rows} case rows above the fold at 1280×800 in {language}"
    else:
        top = page.evaluate(FIRST_CASE_TOP)
        assert top < viewport["height"] - 80, f"the first case starts at {top}px in {language}"
    page.goto(f"{base}/cases/?state=open&state=resolved&mine=1&created_from=2020-01-01")
    _check_page(page, f"{tag}-log-filtered", problems)
    page.locator("summary.filters-toggle").click()
    _check_page(page, f"{tag}-log-filters-open", problems)

    for path, name in [
        (f"/cases/{seller_scene.id}/", "case"),
        (f"/cases/{seller_scene.id}/edit/", "edit"),
        ("/cases/new/", "new-case"),
        ("/cases/help/", "help"),
        ("/team/", "team"),
        ("/accounts/profile/", "profile"),
        ("/accounts/password_change/", "password-change"),
    ]:
        page.goto(base + path)
        _check_page(page, f"{tag}-{name}", problems)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_phone_menu_opens_by_keyboard(page: Page, live_server, seller_scene, seller, language):
    page.set_viewport_size(PHONE)
    set_language(page.context, live_server.url, language)
    login(page, live_server, seller)
    page.goto(f"{live_server.url}/cases/")
    menu = page.locator("#site-menu")
    toggle = page.locator(".navbar-toggler")
    expect(toggle).to_be_visible()
    expect(menu).to_be_hidden()
    toggle.focus()
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu.locator("a[href='/cases/help/']")).to_be_visible()
    _shoot(page, f"{language}-phone-menu-open")
    findings = [f for f in run_axe(page, f"{language}-phone-menu") if f.impact in FATAL_IMPACTS]
    assert findings == []


def test_without_javascript_the_phone_menu_is_a_visible_list(
    browser: Any, live_server, seller_scene, seller
):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    try:
        login(page, live_server, seller)
        page.goto(f"{live_server.url}/cases/")
        expect(page.locator(".navbar-toggler")).to_be_hidden()
        expect(page.locator("#site-menu a[href='/cases/help/']")).to_be_visible()
        _shoot(page, "en-phone-log-without-javascript")
        # The filters still open (a <details>) and the log still shows cards.
        page.locator("summary.filters-toggle").click()
        expect(page.locator(".filters-panel")).to_be_visible()
        assert page.evaluate(SIDEWAYS) <= 0
    finally:
        context.close()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_filters_open_by_keyboard_and_chips_remove_one_filter(
    page: Page, live_server, seller_scene, seller, size
):
    page.set_viewport_size(DESKTOP if size == "desktop" else PHONE)
    login(page, live_server, seller)
    page.goto(f"{live_server.url}/cases/?state=open&state=resolved&mine=1")
    toggle = page.locator("summary.filters-toggle")
    expect(toggle.locator(".filters-count")).to_have_text("3")
    panel = page.locator(".filters-panel")
    expect(panel).to_be_hidden()
    toggle.focus()
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(panel).to_be_visible()
    expect(panel.locator("input[name=state][value=open]")).to_be_checked()
    expect(toggle).to_be_focused()  # focus stays on the control: Enter folds it again
    page.keyboard.press("Enter")
    expect(panel).to_be_hidden()

    chip = page.locator(".filter-chip", has_text="Only my cases")
    with page.expect_navigation():
        chip.click()
    assert "mine" not in page.url
    assert page.url.count("state=") == 2
    expect(page.locator(".filters-count")).to_have_text("2")
