"""An agent works the queue in the admin; the seller sees the result on the case page."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from cases.models import CaseState, SupportTeam
from correspondence.models import Message
from tests.browser.conftest import login
from tests.conftest import make_case


def test_agent_reopens_transfers_and_replies_then_seller_sees_it(
    page: Page, live_server, transactional_db, account, seller, support_agent, tmp_path
):
    SupportTeam.objects.create(name="Payments")
    resolved = make_case(
        account,
        owner=seller,
        state=CaseState.RESOLVED,
        resolved_days_ago=2,
        short_description="Refund question",
    )
    waiting = make_case(
        account, owner=seller, state=CaseState.PENDING_SUPPORT, short_description="Card declined"
    )

    login(page, live_server, support_agent)
    page.goto(f"{live_server.url}/admin/cases/case/")
    expect(page.locator("#result_list")).to_contain_text(str(resolved.id))
    page.screenshot(path="/tmp/admin-list.png", full_page=True)  # noqa: S108

    # Reopen from the list.
    page.locator(f"input[name=_selected_action][value='{resolved.id}']").check()
    page.select_option("select[name=action]", "reopen_cases")
    page.get_by_role("button", name="Run").click()
    expect(page.locator(".messagelist")).to_contain_text("1 case: Reopened.")

    # Transfer from the case page, through the intermediate page.
    page.goto(f"{live_server.url}/admin/cases/case/{waiting.id}/change/")
    page.get_by_role("link", name="Transfer").click()
    page.select_option("select[name=team]", label="Payments")
    page.fill("textarea[name=note]", "Card issues go to Payments")
    page.get_by_role("button", name="Transfer").click()
    expect(page.locator(".messagelist")).to_contain_text("Transferred")

    # Reply with a file, asking the seller to act.
    proof = tmp_path / "steps.txt"
    proof.write_text("1. Open settings\n2. Update the card\n")
    page.fill("#reply textarea[name=body]", "Please update your card details.")
    page.set_input_files("#reply input[name=attachments]", str(proof))
    page.check("#reply input[name=needs_action]")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator(".messagelist")).to_contain_text("Your reply was sent")
    page.screenshot(path="/tmp/admin-case.png", full_page=True)  # noqa: S108
    assert Message.objects.filter(case_id=waiting.id, direction="support").count() == 1

    # The seller sees the new states and the message with its file.
    page.context.clear_cookies()
    login(page, live_server, seller)
    row = page.locator("table.case-table tbody tr", has_text=str(resolved.id))
    expect(row).to_contain_text("Reopened")
    row = page.locator("table.case-table tbody tr", has_text=str(waiting.id))
    expect(row).to_contain_text("Needs your attention")
    row.locator("a.case-id").click()
    expect(page.locator(".thread")).to_contain_text("Please update your card details.")
    expect(page.locator(".case-history")).to_contain_text("Payments")
    with page.expect_download() as info:
        page.locator(".thread a", has_text="steps.txt").first.click()
    assert info.value.suggested_filename == "steps.txt"
    with open(info.value.path()) as handle:
        assert re.search(r"Update the card", handle.read())
