"""E-mail notifications: right recipients, right content, only after commit."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from cases.models import CaseEvent, CaseState
from correspondence.models import Message
from correspondence.notifications import notify_seller, notify_support
from correspondence.services import message_post
from tests.conftest import make_case


@pytest.fixture
def case(account, seller):
    return make_case(
        account,
        owner=seller,
        state=CaseState.PENDING_SUPPORT,
        short_description="Refund missing",
        cc_list=["boss@example.com", "accounting@example.org"],
    )


def assert_standard_content(sent, case, path: str = "/cases/{id}/") -> None:
    assert str(case.id) in sent.subject
    assert "Refund missing" in sent.subject
    assert "http://testserver.example" + path.format(id=case.id) in sent.body
    assert "replies to this e-mail are not read" in sent.body
    assert "\n" not in sent.subject


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.CASELOG_SITE_URL = "http://testserver.example/"
    settings.DEFAULT_FROM_EMAIL = "Seller Support <no-reply@caselog.example>"
    settings.CASELOG_SUPPORT_EMAIL = "inbox@support.example"


@pytest.mark.parametrize(
    ("event", "headline"),
    [
        (CaseEvent.SUPPORT_ANSWERED, "Seller Support answered your case."),
        (CaseEvent.SUPPORT_NEEDS_ACTION, "needs you to act"),
        (CaseEvent.TRANSFERRED, "transferred to another support team"),
        (CaseEvent.RESOLVED, "Seller Support resolved your case."),
        (CaseEvent.REOPENED, "reopened your case"),
    ],
)
def test_the_seller_hears_what_support_did(case, event, headline):
    assert notify_seller(case, event) == 1

    (sent,) = mail.outbox
    assert sent.to == ["seller@example.com"]
    assert sent.cc == ["boss@example.com", "accounting@example.org"]
    assert sent.from_email == "Seller Support <no-reply@caselog.example>"
    assert headline in sent.subject
    assert headline in sent.body
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    assert_standard_content(sent, case)


def test_support_hears_about_a_seller_reply(case, seller):
    message = Message(case=case, author=seller, body="Still nothing", subject="Again")
    notify_support(case, CaseEvent.SELLER_REPLIED, message)

    (sent,) = mail.outbox
    assert sent.to == ["inbox@support.example"]
    assert sent.cc == []
    assert "Still nothing" in sent.body
    # Agents work in the admin: the support inbox links there, not to the seller page.
    assert_standard_content(sent, case, "/admin/cases/case/{id}/change/")


def test_line_breaks_cannot_inject_headers(case):
    case.short_description = "Hello\r\nBcc: victim@example.com"
    notify_seller(case, CaseEvent.RESOLVED)
    (sent,) = mail.outbox
    assert "\r" not in sent.subject
    assert "\n" not in sent.subject
    assert sent.bcc == []
    assert "Hello Bcc: victim@example.com" in sent.subject
    assert sent.message()["Bcc"] is None


def test_a_mail_server_failure_does_not_break_the_page(case, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    assert notify_seller(case, CaseEvent.RESOLVED) == 0


def test_a_support_reply_notifies_the_seller_after_commit(
    case, support_agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message_post(
            case=case,
            author=support_agent,
            direction=Message.Direction.FROM_SUPPORT,
            body="Please send the invoice",
            needs_action=True,
        )
    assert mail.outbox == []  # not before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    (sent,) = mail.outbox
    assert sent.to == ["seller@example.com"]
    assert "needs you to act" in sent.subject
    case.refresh_from_db()
    assert case.state == CaseState.NEEDS_ATTENTION


def test_a_seller_reply_notifies_support_only(case, seller, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message_post(
            case=case, author=seller, direction=Message.Direction.FROM_SELLER, body="Any news?"
        )
    (sent,) = mail.outbox
    assert sent.to == ["inbox@support.example"]
    assert sent.cc == []


def test_nothing_is_sent_when_the_transaction_rolls_back(
    case, seller, django_capture_on_commit_callbacks
):
    class Abort(Exception):
        pass

    def reply_then_abort() -> None:
        with transaction.atomic():
            message_post(
                case=case, author=seller, direction=Message.Direction.FROM_SELLER, body="Hi"
            )
            raise Abort

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(Abort):
        reply_then_abort()
    assert callbacks == []
    assert mail.outbox == []
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("language", "headline", "open_line"),
    [
        ("fr", "Le Support vendeur a résolu votre cas.", "Ouvrir le cas\u00a0:"),
        ("en", "Seller Support resolved your case.", "Open the case:"),
        ("", "Seller Support resolved your case.", "Open the case:"),
    ],
)
def test_the_seller_mail_is_in_the_owners_language(case, seller, language, headline, open_line):
    seller.language = language
    seller.save(update_fields=["language"])

    notify_seller(case, CaseEvent.RESOLVED)

    (sent,) = mail.outbox
    assert sent.subject.startswith(f"[{'Cas' if language == 'fr' else 'Case'} {case.id}]")
    assert headline in sent.subject
    assert headline in sent.body
    assert open_line in sent.body
    assert f"http://testserver.example/cases/{case.id}/" in sent.body


def test_the_owner_is_found_whatever_the_case_of_the_address(case, seller):
    seller.language = "fr"
    seller.save(update_fields=["language"])
    case.primary_email = "Seller@Example.com"

    notify_seller(case, CaseEvent.RESOLVED)

    assert "Le Support vendeur a résolu votre cas." in mail.outbox[0].subject


def test_support_mail_stays_in_the_site_language(case, seller, settings):
    seller.language = "fr"
    seller.save(update_fields=["language"])
    message = Message(case=case, author=seller, body="Toujours rien", subject="Encore")

    notify_support(case, CaseEvent.SELLER_REPLIED, message)

    (sent,) = mail.outbox
    assert "A seller replied to a case." in sent.subject
    assert "Open the case:" in sent.body


def test_the_seller_mail_gives_its_time_in_the_owners_zone(case, seller):
    from datetime import UTC, datetime

    seller.language, seller.time_zone = "fr", "America/Guadeloupe"
    seller.save(update_fields=["language", "time_zone"])
    case.last_activity_at = datetime(2026, 7, 14, 2, 30, tzinfo=UTC)

    notify_seller(case, CaseEvent.RESOLVED)

    assert "Date\u00a0: 13/07/2026 22:30 (heure de America/Guadeloupe)" in (mail.outbox[0].body)


def test_the_seller_mail_uses_the_site_zone_when_the_owner_chose_none(case, seller):
    from datetime import UTC, datetime

    case.last_activity_at = datetime(2026, 7, 14, 2, 30, tzinfo=UTC)

    notify_seller(case, CaseEvent.RESOLVED)

    assert "When: 14 Jul 2026, 04:30 (Europe/Paris time)" in mail.outbox[0].body
