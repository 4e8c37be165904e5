"""E-mail through the task queue: no request waits for the mail server; delivery once, with retries.

A real SMTP server (aiosmtpd) that is up, answers after 5 s, or is down; the
database queue; the real worker (`manage.py run_worker --batch`).
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from django.core.mail import EmailMessage
from django.tasks import TaskResultStatus
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from background.models import DEFERRED, UNDELIVERED, EmailDelivery
from background.tasks import MAX_ATTEMPTS, deliver_email, retry_delay
from cases.models import CaseState
from correspondence.models import Message
from tests.background.conftest import run_worker
from tests.conftest import make_case, make_user

BODY = "The payout of 12 March is missing."
FAST = 1.5  # seconds: a reply or an agent action, whatever the mail server does


def post_reply(client: Client, case) -> float:
    data = {"body": BODY, "subject": "Payout", "submission_id": str(uuid.uuid4())}
    started = time.perf_counter()
    response = client.post(f"/cases/{case.id}/reply/", data)
    elapsed = time.perf_counter() - started
    assert response.status_code == 302
    return elapsed


def make_due() -> None:
    """Time passes: every waiting retry is due now."""
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())


@pytest.fixture
def answered(account, seller):
    return lambda: make_case(account, owner=seller, state=CaseState.ANSWERED)


def test_a_seller_reply_is_as_fast_with_the_mail_server_slow_or_down(
    db_queue, smtp, seller_client, answered
):
    seller_client.get("/cases/")  # warm up templates and the session
    smtp.start()
    up = post_reply(seller_client, answered())
    smtp.stop()
    smtp.start(delay=5)
    slow = post_reply(seller_client, answered())
    smtp.stop()
    down = post_reply(seller_client, answered())

    assert Message.objects.count() == 3
    assert max(up, slow, down) < FAST, (up, slow, down)
    assert slow < up + 0.5
    assert down < up + 0.5
    # Nothing was sent by the requests: three e-mails wait in the queue.
    assert EmailDelivery.objects.waiting().count() == 3
    assert smtp.inbox.received == []


def test_an_agent_action_is_as_fast_with_the_mail_server_slow_or_down(
    db_queue, smtp, queue_agent, account, seller
):
    client = Client()
    client.force_login(queue_agent)
    client.get("/admin/")

    def resolve() -> float:
        case = make_case(account, owner=seller, state=CaseState.ANSWERED)
        started = time.perf_counter()
        response = client.post(f"/admin/cases/case/{case.id}/act/resolved/")
        elapsed = time.perf_counter() - started
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.state == CaseState.RESOLVED
        return elapsed

    smtp.start()
    up = resolve()
    smtp.stop()
    smtp.start(delay=5)
    slow = resolve()

    assert max(up, slow) < FAST, (up, slow)
    assert slow < up + 0.5
    assert smtp.inbox.received == []
    run_worker()  # the worker waits the 5 s of each e-mail, not the agent
    assert len(smtp.inbox.received) == 2
    assert all(b"resolved your case" in raw for raw in smtp.inbox.received)

    smtp.stop()
    down = resolve()
    assert down < up + 0.5
    assert EmailDelivery.objects.waiting().count() == 1


def test_a_mailbox_refused_for_good_is_not_retried(db_queue, smtp):
    smtp.start()
    smtp.inbox.refuse_recipients = True
    EmailMessage("Hi", "Body", to=["gone@example.com"]).send()

    run_worker()

    (failed,) = EmailDelivery.objects.undelivered()
    assert failed.attempt == 1
    assert "No such mailbox" in failed.error
    assert not EmailDelivery.objects.waiting().exists()


def test_a_slow_mail_server_still_gets_the_mail_once(db_queue, smtp, seller_client, answered):
    smtp.start(delay=5)
    post_reply(seller_client, answered())

    run_worker()
    run_worker()

    assert len(smtp.inbox.received) == 1
    assert EmailDelivery.objects.sent().count() == 1


def test_mail_is_delivered_exactly_once_when_the_server_is_back(
    db_queue, smtp, seller_client, answered
):
    case = answered()
    post_reply(seller_client, case)  # the server is down

    run_worker()  # attempt 1 is refused: attempt 2 waits a minute
    (deferred,) = EmailDelivery.objects.deferred()
    assert deferred.exception_class_path == DEFERRED
    assert "attempt 1 of" in deferred.traceback
    assert deferred.error == "ConnectionRefusedError: [Errno 111] Connection refused"
    (retry,) = EmailDelivery.objects.waiting()
    assert retry.attempt == 2
    assert retry.run_after > timezone.now() + timedelta(seconds=50)

    run_worker()  # not due yet: nothing happens
    assert EmailDelivery.objects.waiting().count() == 1

    smtp.start()
    make_due()
    run_worker()
    run_worker()

    assert len(smtp.inbox.received) == 1
    assert str(case.id).encode() in smtp.inbox.received[0]
    assert EmailDelivery.objects.sent().count() == 1
    assert not EmailDelivery.objects.waiting().exists()
    assert not EmailDelivery.objects.undelivered().exists()


def test_a_retry_sends_the_same_mail_with_the_same_message_id(db_queue, smtp):
    EmailMessage("Hello", "Body", to=["seller@example.com"]).send()
    run_worker()  # refused
    smtp.start()
    make_due()
    run_worker()

    (message_id,) = smtp.inbox.message_ids()
    (first_attempt,) = EmailDelivery.objects.deferred()
    assert first_attempt.payload["headers"]["Message-ID"] == message_id


def test_retries_back_off_for_more_than_a_day():
    delays = [retry_delay(attempt) for attempt in range(1, MAX_ATTEMPTS)]
    assert delays == sorted(delays)
    assert delays[0] == timedelta(minutes=1)
    assert sum(delays, timedelta()) >= timedelta(hours=24)


def test_the_last_failure_is_shown_to_staff_and_can_be_retried_from_the_admin(
    db_queue, smtp, settings
):
    email = EmailMessage("Case 1234567890 resolved", "Body", to=["seller@example.com"])
    from background.mail import email_to_payload

    deliver_email.enqueue(email_to_payload(email), MAX_ATTEMPTS)
    run_worker()  # the last attempt is refused

    (failed,) = EmailDelivery.objects.undelivered()
    assert failed.exception_class_path == UNDELIVERED
    assert not EmailDelivery.objects.waiting().exists()

    staff = make_user("lead@example.com", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    page = client.get("/admin/background/emaildelivery/?delivery=undelivered")
    assert page.status_code == 200
    assert "Case 1234567890 resolved" in page.text
    assert "seller@example.com" in page.text
    assert "ConnectionRefusedError: [Errno 111] Connection refused" in page.text
    detail = client.get(f"/admin/background/emaildelivery/{failed.pk}/change/")
    assert "Traceback" in detail.text

    smtp.start()
    response = client.post(
        "/admin/background/emaildelivery/",
        {"action": "retry", "_selected_action": [str(failed.pk)]},
        follow=True,
    )
    assert "1 e-mail queued again." in response.text
    assert not EmailDelivery.objects.undelivered().exists()
    run_worker()
    run_worker()
    assert len(smtp.inbox.received) == 1


def test_retrying_a_sent_mail_from_the_admin_sends_nothing(db_queue, smtp):
    smtp.start()
    EmailMessage("Hi", "Body", to=["seller@example.com"]).send()
    run_worker()
    (sent,) = EmailDelivery.objects.sent()
    staff = make_user("lead@example.com", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)

    response = client.post(
        "/admin/background/emaildelivery/",
        {"action": "retry", "_selected_action": [str(sent.pk)]},
        follow=True,
    )

    assert "Only undelivered e-mails can be retried" in response.text
    run_worker()
    assert len(smtp.inbox.received) == 1


def test_support_agents_see_deliveries_and_retry_them(queue_agent):
    assert queue_agent.has_perm("background.view_emaildelivery")
    assert queue_agent.has_perm("background.retry_emaildelivery")
    client = Client()
    client.force_login(queue_agent)
    assert client.get("/admin/background/emaildelivery/").status_code == 200


def test_the_email_task_commits_with_the_reply_not_after_it(
    db_queue, smtp, seller_client, answered, monkeypatch
):
    # A node killed right after the commit runs no on_commit callback: the
    # e-mail must already be in the queue by then.
    monkeypatch.setattr("django.db.transaction.on_commit", lambda *args, **kwargs: None)
    post_reply(seller_client, answered())
    assert EmailDelivery.objects.waiting().count() == 1


def test_an_agent_action_and_its_email_commit_together(
    db_queue, queue_agent, account, seller, monkeypatch
):
    client = Client()
    client.force_login(queue_agent)
    case = make_case(account, owner=seller, state=CaseState.ANSWERED)
    monkeypatch.setattr("django.db.transaction.on_commit", lambda *args, **kwargs: None)

    client.post(f"/admin/cases/case/{case.id}/act/resolved/")

    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED
    assert EmailDelivery.objects.waiting().count() == 1


def test_the_queued_rows_of_an_older_version_are_sealed_by_the_migration(db_queue, smtp):
    import importlib

    from django.apps import apps

    from background.mail import SEALED, email_to_payload, unseal

    payload = email_to_payload(EmailMessage("Reset", "/accounts/reset/MQ/tok/", to=["a@x.com"]))
    legacy = {key: value for key, value in payload.items() if key != SEALED}
    deliver_email.enqueue({**legacy, **unseal(payload[SEALED])})
    assert "/accounts/reset/" in str(DBTaskResult.objects.get().args_kwargs)

    migration = importlib.import_module("background.migrations.0003_seal_queued_email_content")
    migration.seal_queued_email_content(apps, None)

    assert "/accounts/reset/" not in str(DBTaskResult.objects.get().args_kwargs)
    smtp.start()
    run_worker()
    assert b"/accounts/reset/MQ/tok/" in smtp.inbox.received[0]


def test_an_email_sealed_with_a_lost_key_ends_undelivered_with_the_reason(db_queue, smtp, settings):
    smtp.start()
    EmailMessage("Hi", "Body", to=["seller@example.com"]).send()
    settings.SECRET_KEY = "a-new-key-" + "y" * 50  # rotated, the old key not kept

    run_worker()

    (failed,) = EmailDelivery.objects.undelivered()
    assert "SECRET_KEY_FALLBACKS" in failed.error
    assert not EmailDelivery.objects.waiting().exists()
    assert smtp.inbox.received == []
