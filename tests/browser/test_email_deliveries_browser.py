"""Staff find an undelivered e-mail in the admin, read why, and send it again."""

from __future__ import annotations

from django.core.mail import EmailMessage
from playwright.sync_api import Page, expect

from background.mail import email_to_payload
from background.models import EmailDelivery
from background.tasks import MAX_ATTEMPTS, deliver_email
from tests.background.conftest import db_queue, run_worker, smtp  # noqa: F401 - fixtures
from tests.browser.a11y_support import run_axe
from tests.browser.conftest import login
from tests.conftest import make_user


def test_staff_retry_an_undelivered_email(page: Page, live_server, db_queue, smtp):  # noqa: F811
    email = EmailMessage("[Case 4821930175] Resolved", "Body", to=["seller@example.com"])
    deliver_email.enqueue(email_to_payload(email), MAX_ATTEMPTS)
    run_worker()  # the mail server is down: the last attempt fails
    lead = make_user("lead@example.com", is_staff=True, is_superuser=True)

    login(page, live_server, lead)
    page.goto(f"{live_server.url}/admin/background/emaildelivery/?delivery=undelivered")
    row = page.locator("#result_list tbody tr")
    expect(row).to_contain_text("seller@example.com")
    expect(row).to_contain_text("Connection refused")
    assert run_axe(page, "email-deliveries") == []

    smtp.start()
    row.locator("input[name=_selected_action]").check()
    page.select_option("select[name=action]", "retry")
    page.get_by_role("button", name="Run").click()
    expect(page.locator(".messagelist")).to_contain_text("1 e-mail queued again.")
    run_worker()
    assert len(smtp.inbox.received) == 1
    assert not EmailDelivery.objects.undelivered().exists()
