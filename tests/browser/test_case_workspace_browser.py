"""The agent's case page (admin) as a workspace: at 1280×800 the newest message and
the reply box are on the first screen, in English and French; a saved reply is
inserted at the cursor without losing what was typed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.models import Case, CaseState
from correspondence.models import Message, SavedReply
from tests.browser.conftest import login
from tests.conftest import make_case

SCREEN = {"width": 1280, "height": 800}


def _busy_case(account, seller, agent) -> Case:
    """A case as an agent meets it: escalated, late, a long thread."""
    case = make_case(
        account, owner=seller, state=CaseState.PENDING_SUPPORT, cc_list=["boss@example.com"]
    )
    start = timezone.now() - timedelta(days=3)
    Message.objects.bulk_create(
        Message(
            case=case,
            author=seller if n % 2 == 0 else agent,
            direction="seller" if n % 2 == 0 else "support",
            subject=f"Message {n}",
            body=f"Text of message {n}.\nA second line of it, as sellers write.",
            sent_at=start + timedelta(hours=n),
        )
        for n in range(30)
    )
    Case.objects.filter(pk=case.pk).update(
        waiting_since=start,
        escalated_at=start + timedelta(days=1),
        escalation_reason="not_solved",
        escalation_text="Still no refund.",
    )
    return case


def _in_first_screen(page: Page, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    assert box["y"] >= 0
    assert box["y"] + box["height"] <= SCREEN["height"], f"{selector} ends at {box}"
    assert box["x"] + box["width"] <= SCREEN["width"], f"{selector} ends at {box}"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_newest_message_and_the_reply_box_are_on_the_first_screen(
    page: Page, live_server, transactional_db, account, seller, support_agent, language
):
    case = _busy_case(account, seller, support_agent)
    SavedReply.objects.create(title="Greeting", body_en="Hello,", body_fr="Bonjour,")
    page.set_viewport_size(SCREEN)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    login(page, live_server, support_agent)
    page.goto(f"{live_server.url}/admin/cases/case/{case.pk}/change/")
    newest = page.locator(".case-thread .case-message").first
    expect(newest).to_contain_text("Text of message 29.")
    _in_first_screen(page, ".case-thread .case-message")
    _in_first_screen(page, "#reply textarea[name=body]")
    _in_first_screen(page, "#reply input[name=_send]")
    _in_first_screen(page, ".case-alerts")
    _in_first_screen(page, ".case-actions")
    _in_first_screen(page, "#reply select[name=saved]")
    expect(page.locator(".case-alerts")).to_contain_text(
        "Later than usual" if language == "en" else "Plus tard que d'habitude"
    )
    page.screenshot(path=f"/tmp/admin-workspace-{language}.png")  # noqa: S108


def test_a_saved_reply_goes_in_at_the_cursor_and_keeps_the_typed_text(
    page: Page, live_server, transactional_db, account, seller, support_agent
):
    case = _busy_case(account, seller, support_agent)
    SavedReply.objects.create(
        title="Refund",
        body_en="Case {case_id}: refunded.",
        body_fr="Dossier {case_id} : remboursé.",
    )
    seller.language = "fr"
    seller.save()
    page.set_viewport_size(SCREEN)
    login(page, live_server, support_agent)
    page.goto(f"{live_server.url}/admin/cases/case/{case.pk}/change/")
    body = page.locator("#reply textarea[name=body]")
    body.fill("Bonjour,\n\nCordialement")
    # The cursor after "Bonjour,\n\n": the saved reply goes there.
    body.evaluate("(area) => area.setSelectionRange(10, 10)")
    page.select_option("#reply select[name=saved]", label="Refund")
    url = page.url
    page.locator("#reply .saved-reply-use").click()
    expect(body).to_have_value(f"Bonjour,\n\nDossier {case.pk} : remboursé.Cordialement")
    assert page.url == url  # no reload
    expect(body).to_be_focused()
