"""Issue 22.1 and 22.2 in Chromium, at 1280×800 and 390×844, in English and French:
support's latest message is on the first screen of a case needing attention; after
"Send" the confirmation and the sent message are in view; a case about to close says
so on its turn line. Screenshots go to $SCREENSHOTS_DIR when set."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page

from cases.models import Case
from cases.services import case_claim_reminder
from correspondence.models import Message
from correspondence.services import message_post
from tests.browser.conftest import login
from tests.conftest import make_case

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
SENT = {"en": "Your message was sent", "fr": "Votre message a été envoyé"}
CLOSES = {"en": "Closes automatically in", "fr": "Clôture automatique dans"}
LONG_SUMMARY = "Refund for order 123-4567890-1234567 never arrived on my bank account"


def _shot(page: Page, name: str) -> None:
    out = os.environ.get("SCREENSHOTS_DIR")
    if out:
        page.screenshot(path=str(Path(out) / f"{name}.png"))


def _in_first_screen(page: Page, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    height = page.viewport_size["height"]
    assert box is not None, f"{selector} is not rendered"
    assert -1 <= box["y"] < height, f"{selector} starts at y={box['y']}, below {height}"


def _needing_attention(account, seller, agent) -> Case:
    case = make_case(account, owner=seller, short_description=LONG_SUMMARY)
    for n in range(3):
        message_post(
            case=case,
            author=seller if n % 2 == 0 else agent,
            direction=Message.Direction.FROM_SELLER
            if n % 2 == 0
            else Message.Direction.FROM_SUPPORT,
            body=f"Earlier message {n}. " * 20,
        )
    message_post(
        case=case,
        author=agent,
        direction=Message.Direction.FROM_SUPPORT,
        subject="Bank statement needed",
        body="Please send us the bank statement that shows the missing refund.",
        needs_action=True,
    )
    case.refresh_from_db()
    return case


@pytest.fixture
def seller_page(page: Page, live_server, language, size, seller):
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    login(page, live_server, seller)
    return page


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("language", ["en", "fr"])
def test_support_latest_message_is_on_the_first_screen_and_the_sent_one_after_send(
    seller_page: Page, live_server, account, seller, support_agent, language, size
):
    case = _needing_attention(account, seller, support_agent)
    page = seller_page
    page.goto(f"{live_server.url}/cases/{case.id}/")
    _in_first_screen(page, ".latest-support")
    _in_first_screen(page, ".latest-support .message-body")
    _shot(page, f"case-attention-{size}-{language}")

    form = page.locator(".reply-form form")
    form.locator("textarea[name=body]").fill("Here is the bank statement you asked for.")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.url.endswith("#sent")
    notice = page.locator("#sent")
    assert SENT[language] in notice.inner_text()
    _in_first_screen(page, "#sent")
    sent = Message.objects.filter(case=case, direction=Message.Direction.FROM_SELLER).latest(
        "sent_at"
    )
    _in_first_screen(page, f"#message-{sent.pk} summary")
    _shot(page, f"case-sent-{size}-{language}")


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_case_about_to_close_says_so_on_the_first_screen(
    seller_page: Page, live_server, account, seller, support_agent, language, size
):
    case = make_case(account, owner=seller, short_description=LONG_SUMMARY)
    message_post(
        case=case,
        author=support_agent,
        direction=Message.Direction.FROM_SUPPORT,
        body="Your refund was sent on Monday.",
    )
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(auto_resolve_at=now - timedelta(seconds=1))
    assert case_claim_reminder(case_id=case.pk, now=now) is not None
    Case.objects.filter(pk=case.pk).update(auto_resolve_at=now + timedelta(hours=22, minutes=30))
    page = seller_page
    page.goto(f"{live_server.url}/cases/{case.id}/")
    closes = page.locator(".turn-line .closes-in")
    assert f"{CLOSES[language]} 23" in closes.inner_text()
    _in_first_screen(page, ".turn-line .closes-in button.keep-open")
    _shot(page, f"case-closing-{size}-{language}")
    page.goto(f"{live_server.url}/cases/")
    row = page.locator(".case-table tbody tr").first
    assert CLOSES[language] in row.inner_text()
    # The row's notes leave the case ID and the dates whole (the phone's card too).
    for cell in ("td.case-id-cell", "td.cell-created"):
        fits = row.locator(cell).evaluate("el => el.scrollWidth <= el.clientWidth + 1")
        assert fits, f"{cell} is clipped"
    _shot(page, f"log-{size}-{language}")
