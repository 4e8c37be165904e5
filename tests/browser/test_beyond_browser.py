"""Issue 8 in Chromium: search the correspondence, the attention count, the duplicate
guard and the hand-off, as a seller does them."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from cases.models import Case, CaseState
from correspondence.services import case_open, message_post
from tests.browser.conftest import login
from tests.conftest import make_case
from tests.correspondence.conftest import PDF


def test_search_a_word_only_in_a_message_and_open_the_case(
    page: Page, live_server, transactional_db, account, seller
):
    case = case_open(
        account=account,
        author=seller,
        subject="Payment question",
        body="The courier left the parcel at the heliotrope gate <b>twice</b>.",
    ).case
    case_open(account=account, author=seller, subject="Other question", body="Nothing here")
    login(page, live_server, seller)
    page.fill("input[name=q]", "heliotrope")
    with page.expect_navigation():
        page.get_by_role("button", name="Search", exact=True).click()
    rows = page.locator("table.case-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".search-snippet mark")).to_have_text("heliotrope")
    expect(rows.first.locator(".search-snippet")).to_contain_text("<b>twice</b>")
    page.screenshot(path="/tmp/beyond-search.png", full_page=True)  # noqa: S108
    rows.first.locator("a.case-id").click()
    expect(page).to_have_url(f"{live_server.url}/cases/{case.id}/")
    expect(page.locator(".thread")).to_contain_text("heliotrope gate")


def test_the_attention_count_changes_after_an_agent_asks_for_action(
    page: Page, live_server, transactional_db, account, seller, support_agent
):
    case = case_open(account=account, author=seller, subject="Card", body="Declined").case
    login(page, live_server, seller)
    count = page.locator(".attention-count")
    expect(count).to_have_text("0")
    message_post(
        case=case,
        author=support_agent,
        direction="support",
        body="Please update your card details.",
        needs_action=True,
    )
    page.reload()
    expect(count).to_have_text("1")
    expect(page.locator(".attention-mine")).to_have_text("(1 yours)")
    row = page.locator("table.case-table tbody tr", has_text=str(case.id))
    expect(row.locator(".changed-badge")).to_be_visible()
    page.screenshot(path="/tmp/beyond-attention.png", full_page=True)  # noqa: S108
    with page.expect_navigation():
        page.locator(".attention-link").click()
    expect(page.locator("table.case-table tbody tr")).to_have_count(1)
    # Opening the case marks it seen: wait for its page before leaving it.
    with page.expect_navigation():
        page.locator("table.case-table a.case-id").click()
    expect(page).to_have_url(f"{live_server.url}/cases/{case.id}/")
    page.goto(f"{live_server.url}/cases/")
    row = page.locator("table.case-table tbody tr", has_text=str(case.id))
    expect(row.locator(".changed-badge")).to_have_count(0)


def test_a_duplicate_suggestion_while_writing_a_new_case(
    page: Page, live_server, transactional_db, account, seller
):
    existing = case_open(
        account=account, author=seller, subject="Refund not received for order 402", body="Hi"
    ).case
    make_case(account, owner=seller, state=CaseState.RESOLVED, short_description="Refund old")
    login(page, live_server, seller)
    page.goto(f"{live_server.url}/cases/new/")
    page.fill("textarea[name=body]", "Still waiting for my money.")
    page.locator("input[name=subject]").press_sequentially("refund order", delay=20)
    suggestion = page.locator("#similar-cases .similar-case")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_contain_text(str(existing.id))
    page.screenshot(path="/tmp/beyond-duplicate.png", full_page=True)  # noqa: S108
    # The button looks up the same list beside the form, without sending it.
    page.get_by_role("button", name="Check for similar cases").click()
    expect(page.locator("#similar-cases .similar-case")).to_have_count(1)
    expect(page).to_have_url(f"{live_server.url}/cases/new/")
    expect(page.locator("textarea[name=body]")).to_have_value("Still waiting for my money.")
    page.get_by_role("button", name="Add a reply there").click()
    expect(page).to_have_url(f"{live_server.url}/cases/{existing.id}/reply/#reply-heading")
    reply = page.locator(".reply-form")
    expect(reply).to_be_visible()
    expect(reply.locator("input[name=subject]")).to_have_value("refund order")
    expect(reply.locator("textarea[name=body]")).to_have_value("Still waiting for my money.")
    page.screenshot(path="/tmp/beyond-reply-there.png", full_page=True)  # noqa: S108
    assert Case.objects.count() == 2
    reply.get_by_role("button", name="Send").click()
    expect(page.locator(".alert-success")).to_contain_text("Your message was sent")
    assert existing.messages.count() == 2


def test_checking_for_similar_cases_keeps_the_attached_files(
    page: Page, live_server, transactional_db, account, seller, tmp_path
):
    case_open(account=account, author=seller, subject="Refund not received", body="Hi")
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(PDF)
    login(page, live_server, seller)
    page.goto(f"{live_server.url}/cases/new/")
    page.fill("input[name=subject]", "Refund still not received")
    page.fill("textarea[name=body]", "See the scan.")
    page.set_input_files("input[name=attachments]", str(scan))
    page.get_by_role("button", name="Check for similar cases").click()
    expect(page.locator("#similar-cases .similar-case")).to_have_count(1)
    assert page.eval_on_selector("input[name=attachments]", "input => input.files.length") == 1
    # Enter in the subject opens the case (the suggestions' buttons are not the default).
    with page.expect_navigation():
        page.locator("input[name=subject]").press("Enter")
    expect(page.locator(".alert-success")).to_contain_text("is open")
    new = Case.objects.get(short_description="Refund still not received")
    assert [a.original_name for m in new.messages.all() for a in m.attachments.all()] == [
        "scan.pdf"
    ]


def test_without_javascript_the_check_says_which_files_to_attach_again(
    browser, live_server, transactional_db, account, seller, tmp_path
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(PDF)
    login(page, live_server, seller)
    page.goto(f"{live_server.url}/cases/new/")
    expect(page.locator(".check-keeps-no-files")).to_be_visible()
    page.fill("input[name=subject]", "Refund again")
    page.set_input_files("input[name=attachments]", str(scan))
    page.get_by_role("button", name="Check for similar cases").click()
    expect(page.locator(".dropped-files")).to_contain_text("attach scan.pdf again")
    expect(page.locator("input[name=subject]")).to_have_value("Refund again")
    page.screenshot(path="/tmp/beyond-nojs-check.png", full_page=True)  # noqa: S108
    context.close()
    assert not Case.objects.exists()


def test_hand_off_a_colleagues_cases(
    page: Page, live_server, transactional_db, account, seller, colleague
):
    owned = [make_case(account, owner=colleague) for _i in range(2)]
    copied = make_case(account, owner=seller, cc_list=["colleague@example.com"])
    login(page, live_server, seller)
    page.get_by_role("link", name="Team").click()
    expect(page.locator("h1")).to_contain_text("Team of Demo Shop")
    page.select_option("select[name=from_email]", colleague.email)
    page.select_option("select[name=to_email]", seller.email)
    page.get_by_role("button", name="Review the hand-off").click()
    expect(page.locator(".handoff-confirm")).to_contain_text(
        "2 cases owned by colleague@example.com will belong to seller@example.com."
    )
    page.screenshot(path="/tmp/beyond-handoff-confirm.png", full_page=True)  # noqa: S108
    page.get_by_role("button", name="Hand off now").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "2 cases handed from colleague@example.com to seller@example.com; "
        "colleague@example.com removed from 1 CC list."
    )
    page.screenshot(path="/tmp/beyond-handoff.png", full_page=True)  # noqa: S108
    for case in [*owned, copied]:
        case.refresh_from_db()
        assert case.primary_email == seller.email
        assert case.cc_list == []
