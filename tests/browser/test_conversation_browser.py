"""The conversation in a browser, in English and French: both endings, keep open, and a
transfer that leaves the seller's turn alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from cases.models import Case, CaseHistory, CaseState, SupportTeam
from correspondence.models import Message
from correspondence.services import message_post
from tests.browser.conftest import login
from tests.conftest import make_case

TEXTS = {
    "en": {
        "your_turn": "Your turn",
        "support_turn": "Seller Support's turn",
        "question": "Did this solve your problem?",
        "resolved": "Resolved",
        "needs": "Needs your attention",
        "required": "Say what is still wrong",
        "escalated": "a support lead has been told",
        "kept": "The case stays open.",
    },
    "fr": {
        "your_turn": "À vous de jouer",
        "support_turn": "Au tour du Support vendeur",
        "question": "Cette réponse a-t-elle résolu votre problème\u00a0?",
        "resolved": "Résolu",
        "needs": "Exige votre attention",
        "required": "Indiquez ce qui ne va toujours pas",
        "escalated": "un responsable du support a été prévenu",
        "kept": "Le cas reste ouvert.",
    },
}


def answered_case(account, seller, agent, description: str, *, needs_action: bool = False):
    case = make_case(account, owner=seller, short_description=description)
    message_post(
        case=case,
        author=agent,
        direction=Message.Direction.FROM_SUPPORT,
        body="Your refund was sent on Monday.",
        needs_action=needs_action,
    )
    case.refresh_from_db()
    return case


@pytest.fixture
def seller_page(page: Page, live_server, language, seller):
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    login(page, live_server, seller)
    return page


@pytest.mark.parametrize("language", ["en", "fr"])
def test_yes_resolves_the_case(
    seller_page: Page, live_server, transactional_db, account, seller, support_agent, language
):
    text = TEXTS[language]
    case = answered_case(account, seller, support_agent, "Refund missing")
    page = seller_page
    page.goto(f"{live_server.url}/cases/{case.id}/")
    expect(page.locator(".did-it-solve")).to_contain_text(text["question"])
    page.screenshot(path=f"/tmp/conversation-answered-{language}.png", full_page=True)  # noqa: S108
    page.locator(".did-it-solve button.answer-yes").click()
    expect(page.locator(".case-summary .state-badge")).to_have_text(text["resolved"])
    expect(page.locator(".did-it-solve")).to_have_count(0)
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED
    assert CaseHistory.objects.filter(case=case, actor=seller, new_value="resolved").exists()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_with_a_reason_then_escalation(
    seller_page: Page, live_server, transactional_db, account, seller, support_agent, language
):
    text = TEXTS[language]
    case = answered_case(account, seller, support_agent, "Payment on hold")
    page = seller_page
    page.goto(f"{live_server.url}/cases/{case.id}/")
    page.locator(".did-it-solve details.answer-no summary").click()
    page.locator(".did-it-solve details.answer-no button[type=submit]").click()
    expect(page.locator(".did-it-solve")).to_contain_text(text["required"])  # nothing sent
    page.locator(".did-it-solve textarea[name=reason]").fill("The money is still on hold.")
    page.locator(".did-it-solve details.answer-no button[type=submit]").click()
    expect(page.locator(".turn-line")).to_contain_text(text["support_turn"])
    expect(page.locator(".thread")).to_contain_text("The money is still on hold.")
    # Right after "No", the seller may ask for escalation.
    page.locator(".turn-line details.escalate summary").click()
    page.locator(".turn-line input[name=reason][value=not_solved]").check()
    page.locator(".turn-line details.escalate button[type=submit]").click()
    expect(page.locator(".escalated-note")).to_contain_text(text["escalated"])
    expect(page.locator(".turn-line details.escalate")).to_have_count(0)
    page.screenshot(path=f"/tmp/conversation-escalated-{language}.png", full_page=True)  # noqa: S108
    case.refresh_from_db()
    assert (case.state, case.answer_not_accepted, case.escalation_reason) == (
        CaseState.PENDING_SUPPORT,
        True,
        "not_solved",
    )


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_transfer_keeps_the_sellers_turn_and_keep_open(
    page: Page, live_server, transactional_db, account, seller, support_agent, language
):
    text = TEXTS[language]
    team = SupportTeam.objects.create(name="Payments")
    case = answered_case(account, seller, support_agent, "Send the invoice", needs_action=True)
    # The agent transfers it in the admin while the seller must act.
    login(page, live_server, support_agent)
    page.goto(f"{live_server.url}/admin/cases/case/{case.id}/transfer/")
    page.select_option("select[name=team]", str(team.pk))
    page.locator("form input[type=submit]").click()
    expect(page.locator(".messagelist")).to_be_visible()
    page.context.clear_cookies()

    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    login(page, live_server, seller)
    page.goto(f"{live_server.url}/cases/{case.id}/")
    expect(page.locator(".turn-line .turn-label")).to_have_text(text["your_turn"])
    expect(page.locator(".case-summary .state-badge")).to_have_text(text["needs"])
    expect(page.locator(".case-history")).to_contain_text("Payments")
    before = Case.objects.get(pk=case.pk).auto_resolve_at
    page.locator(".turn-line button.keep-open").click()
    expect(page.locator(".alert-success, .alert-info").first).to_contain_text(text["kept"])
    page.screenshot(path=f"/tmp/conversation-kept-{language}.png", full_page=True)  # noqa: S108
    after = Case.objects.get(pk=case.pk)
    assert after.state == CaseState.NEEDS_ATTENTION
    assert after.auto_resolve_at > before
    assert CaseHistory.objects.filter(case=case, field="auto_resolve_at", actor=seller).exists()
