"""Keyboard only: log in, sort, filter, export, open a case, expand a message and
reply with a file — Tab, Enter and Space, never the mouse. Each control reached
shows a visible focus indicator. The language switcher works the same way and is
remembered."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from cases.models import CaseState
from correspondence.models import Message
from correspondence.services import case_open, message_post
from tests.browser.a11y_support import LANGUAGE_COOKIE
from tests.conftest import PASSWORD, make_case

MAX_TABS = 150
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def type_into(page: Page, selector: str, text: str) -> None:
    """Type `text` with the keyboard once `selector` has the focus (on a busy machine
    the focus can arrive after the page's load event: keys typed before are lost)."""
    expect(page.locator(selector)).to_be_focused()
    page.keyboard.type(text)


def log_in_by_keyboard(page: Page, live_server, user) -> None:
    """The e-mail field has the focus on arrival; Tab to the password, Enter submits."""
    page.goto(f"{live_server.url}/accounts/login/")
    type_into(page, "input[name=username]", user.email)
    page.keyboard.press("Tab")
    type_into(page, "input[name=password]", PASSWORD)
    press_and_wait(page, "Enter")
    expect(page.locator("h1")).to_have_text("Case log")


def focused_matches(page: Page, selector: str) -> bool:
    return page.evaluate(
        "sel => !!document.activeElement && document.activeElement.matches(sel)", selector
    )


def tab_to(page: Page, selector: str, *, backwards: bool = False) -> None:
    """Press Tab until the focused element matches `selector`; check its focus shows."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        if focused_matches(page, selector):
            assert_focus_visible(page, selector)
            return
    pytest.fail(f"{selector} cannot be reached with the Tab key")


def assert_focus_visible(page: Page, selector: str) -> None:
    outline, width, shadow = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }"""
    )
    visible = (outline != "none" and width not in {"0px", ""}) or shadow != "none"
    assert visible, f"no visible focus on {selector}: outline {outline} {width}, shadow {shadow}"


def press_and_wait(page: Page, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


@pytest.fixture
def thread_case(transactional_db, account, seller, support_agent):
    """Five cases; the one that needs attention has a three-message thread."""
    for state in (CaseState.OPEN, CaseState.ANSWERED, CaseState.PENDING_SUPPORT):
        make_case(account, owner=seller, state=state)
    make_case(account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=2)
    first = case_open(
        account=account,
        author=seller,
        subject="Payout missing",
        body="The payout of last week did not arrive.",
        files=[SimpleUploadedFile("statement.pdf", PDF, content_type="application/pdf")],
    )
    for body in ("We are looking into it.", "Please send your bank statement."):
        message_post(
            case=first.case,
            author=support_agent,
            direction=Message.Direction.FROM_SUPPORT,
            body=body,
            needs_action=True,
        )
    first.case.refresh_from_db()
    assert first.case.state == CaseState.NEEDS_ATTENTION
    return first.case


def test_a_seller_does_everything_with_the_keyboard(
    page: Page, live_server, thread_case, seller, tmp_path
):
    log_in_by_keyboard(page, live_server, seller)

    # The skip link is the first stop and moves the focus to the main content.
    page.keyboard.press("Tab")
    expect(page.locator("a.skip-link")).to_be_focused()
    assert_focus_visible(page, "a.skip-link")
    expect(page.locator("a.skip-link")).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # Sort by case ID with Enter on its header.
    tab_to(page, "th.col-id a.sort-link")
    press_and_wait(page, "Enter")
    expect(page.locator("th.col-id")).to_have_attribute("aria-sort", "ascending")

    # Filter: Enter opens the folded filters, Space ticks a state, Enter on "Apply"
    # runs the search.
    tab_to(page, "summary.filters-toggle")
    page.keyboard.press("Enter")
    expect(page.locator(".filters-panel")).to_be_visible()
    tab_to(page, "input[name=state][value=needs_attention]")
    page.keyboard.press("Space")
    expect(page.locator("input[name=state][value=needs_attention]")).to_be_checked()
    tab_to(page, ".filters-panel button[type=submit]")
    press_and_wait(page, "Enter")
    expect(page.locator("table.case-table tbody tr")).to_have_count(1)
    expect(page.locator("th.col-id")).to_have_attribute("aria-sort", "ascending")

    # Export with Enter: the file holds the one case the view shows.
    tab_to(page, ".export-bar a")
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    with open(info.value.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.reader(io.StringIO(handle.read())))
    assert rows[0][0] == "Case ID"
    assert [row[0] for row in rows[1:]] == [str(thread_case.id)]

    # Into the case: Shift+Tab back up to its link in the table.
    tab_to(page, f"table.case-table a[href='{thread_case.get_absolute_url()}']", backwards=True)
    press_and_wait(page, "Enter")
    expect(page.locator("h1")).to_have_text("Payout missing")

    # The newest message is open; an older one opens with Enter and closes with Space.
    messages = page.locator("details.message")
    expect(messages).to_have_count(3)
    expect(messages.nth(0)).to_have_attribute("open", "")
    oldest = messages.nth(2)
    expect(oldest).not_to_have_attribute("open", "")
    expect(oldest.locator(".message-body")).to_be_hidden()
    tab_to(page, f"#{oldest.get_attribute('id')} > summary")
    page.keyboard.press("Enter")
    expect(oldest).to_have_attribute("open", "")
    expect(oldest.locator(".message-body")).to_contain_text("did not arrive")
    expect(oldest.locator("a", has_text="statement.pdf")).to_be_visible()
    page.keyboard.press("Space")
    expect(oldest).not_to_have_attribute("open", "")

    # "Expand all" is a button: Shift+Tab back to it, Enter opens every message.
    tab_to(page, "[data-thread-toggle=open]", backwards=True)
    page.keyboard.press("Enter")
    for index in range(3):
        expect(messages.nth(index)).to_have_attribute("open", "")

    # Reply with a file: type, attach (the file chooser is the system's), send.
    tab_to(page, ".reply-form textarea[name=body]", backwards=True)
    type_into(page, ".reply-form textarea[name=body]", "Here is the bank statement.")
    tab_to(page, ".reply-form input[type=file]")
    proof = tmp_path / "bank-statement.pdf"
    proof.write_bytes(PDF)
    page.locator(".reply-form input[type=file]").set_input_files(str(proof))
    tab_to(page, ".reply-form button[type=submit]")
    press_and_wait(page, "Enter")
    expect(page.locator("#sent")).to_contain_text("Your message was sent")
    reply = Message.objects.filter(case_id=thread_case.id).order_by("-sent_at", "-id").first()
    assert reply.body == "Here is the bank statement."
    assert [a.original_name for a in reply.attachments.all()] == ["bank-statement.pdf"]


def test_the_language_switcher_works_by_keyboard_and_is_remembered(
    page: Page, live_server, thread_case, seller
):
    log_in_by_keyboard(page, live_server, seller)
    expect(page.locator("html")).to_have_attribute("lang", "en")

    tab_to(page, "#language-select")
    page.keyboard.press("ArrowDown")  # English → Français, without opening the list
    expect(page.locator("#language-select")).to_have_value("fr")
    tab_to(page, ".language-form button[type=submit]")
    press_and_wait(page, "Enter")

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("h1")).to_have_text("Journal des cas")
    expect(page).to_have_url(f"{live_server.url}/cases/")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies[LANGUAGE_COOKIE] == "fr"

    # Remembered on the next page, the state badges and dates included.
    page.goto(f"{live_server.url}{thread_case.get_absolute_url()}")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator(".case-summary .state-badge")).to_have_text("Exige votre attention")
    expect(page.locator("#reply-heading")).to_have_text("Écrire au Support vendeur")
