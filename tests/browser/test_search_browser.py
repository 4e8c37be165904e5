"""Search as a seller types it (log) and as an agent types it (admin), in the browser."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from correspondence.services import case_open, message_post
from tests.browser.conftest import login


def test_seller_and_agent_find_a_case_by_what_they_type(
    page: Page, live_server, transactional_db, account, seller, support_agent
):
    case = case_open(
        account=account,
        author=seller,
        subject="Colis abîmé",
        body="Bonjour, j'ai un problème avec la commande 171-7654321 (12,50 €).",
        files=(),
    ).case
    message_post(
        case=case, author=support_agent, direction="support", body="Refunds are on the way"
    )

    login(page, live_server, seller)
    page.goto(f"{live_server.url}/cases/")
    page.fill("input[name=q]", "PROBLEMES 7654321")
    # The case is on the log before the search too: wait for the search's page.
    with page.expect_navigation():
        page.locator("input[name=q]").press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=PROBLEMES"))
    row = page.locator(f"text={case.id}")
    expect(row.first).to_be_visible()
    expect(page.locator("mark").first).to_have_text("problème")
    page.screenshot(path="/tmp/search-log.png", full_page=True)  # noqa: S108

    page.context.clear_cookies()
    login(page, live_server, support_agent)
    page.goto(f"{live_server.url}/admin/cases/case/?q=refund")
    expect(page.locator("#result_list")).to_contain_text(str(case.id))
    page.goto(f"{live_server.url}/admin/cases/case/?q=seller%40exa")
    expect(page.locator("#result_list")).to_contain_text(str(case.id))
    page.screenshot(path="/tmp/search-admin.png", full_page=True)  # noqa: S108
