"""An e-mail survives the queue unchanged: what is queued is what is sent."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives

from background.mail import (
    SEALED,
    UnreadableEmail,
    email_from_payload,
    email_to_payload,
    payload_sealed,
)


def test_an_email_round_trips_through_json():
    email = EmailMultiAlternatives(
        subject="[Case 1] Résolu",
        body="Bonjour — merci",
        from_email="Seller Support <no-reply@caselog.example>",
        to=["seller@example.com"],
        cc=["boss@example.com"],
        bcc=["audit@example.com"],
        reply_to=["support@example.com"],
        headers={"Auto-Submitted": "auto-generated"},
    )
    email.attach_alternative("<p>Bonjour</p>", "text/html")
    email.attach("notes.txt", b"\x00\x01binary", "application/octet-stream")

    payload = json.loads(json.dumps(email_to_payload(email)))
    again = email_from_payload(payload)

    assert (again.subject, again.body, again.from_email) == (
        email.subject,
        email.body,
        email.from_email,
    )
    assert (again.to, again.cc, again.bcc, again.reply_to) == (
        email.to,
        email.cc,
        email.bcc,
        email.reply_to,
    )
    assert again.extra_headers["Auto-Submitted"] == "auto-generated"
    assert again.extra_headers["Message-ID"].startswith("<")
    assert list(again.alternatives[0]) == ["<p>Bonjour</p>", "text/html"]
    assert list(again.attachments[0]) == [
        "notes.txt",
        b"\x00\x01binary",
        "application/octet-stream",
    ]


def test_the_message_id_is_fixed_when_queued(db):
    email = EmailMultiAlternatives("Hi", "Body", to=["a@example.com"])
    first = email_to_payload(email)["headers"]["Message-ID"]
    assert email_to_payload(email)["headers"]["Message-ID"] != first  # one per queued mail
    email.extra_headers["Message-ID"] = "<kept@example.com>"
    assert email_to_payload(email)["headers"]["Message-ID"] == "<kept@example.com>"


def test_send_goes_through_the_queue_and_reaches_the_outbox(db):
    sent = EmailMultiAlternatives("Hi", "Body", to=["a@example.com"]).send()
    assert sent == 1
    (delivered,) = mail.outbox
    assert delivered.subject == "Hi"
    assert "Message-ID" in delivered.extra_headers


def test_a_mail_without_recipients_is_not_queued(db):
    assert EmailMultiAlternatives("Hi", "Body").send() == 0
    assert mail.outbox == []


def _secret_email() -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        "Choose a new password", "https://x/accounts/reset/MQ/secret-token/", to=["a@example.com"]
    )
    email.attach_alternative("<a href='/accounts/reset/MQ/secret-token/'>", "text/html")
    email.attach("link.txt", b"secret-token", "text/plain")
    return email


def test_what_an_email_says_is_sealed_in_its_payload():
    payload = email_to_payload(_secret_email())
    text = json.dumps(payload)
    assert "secret-token" not in text
    assert "c2VjcmV0LXRva2Vu" not in text  # nor the attachment's base64
    assert payload["subject"] == "Choose a new password"  # the envelope stays readable
    assert payload["to"] == ["a@example.com"]
    assert "/accounts/reset/MQ/secret-token/" in email_from_payload(payload).body


def test_a_sealed_email_opens_after_a_key_rotation_with_the_old_key_kept(settings):
    payload = email_to_payload(_secret_email())
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-key-" + "x" * 50
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert "secret-token" in email_from_payload(payload).body

    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(UnreadableEmail, match="SECRET_KEY_FALLBACKS"):
        email_from_payload(payload)


def test_a_payload_queued_before_sealing_is_still_sent_and_sealed_by_the_migration():
    email = _secret_email()
    legacy = {**json.loads(json.dumps(email_to_payload(email))), "body": email.body}
    legacy.pop(SEALED)
    legacy.update(alternatives=[["<p>old</p>", "text/html"]], attachments=[])
    assert email_from_payload(legacy).body == email.body

    sealed = payload_sealed(legacy)
    assert "secret-token" not in json.dumps(sealed)
    assert {"body", "alternatives", "attachments"}.isdisjoint(sealed)
    again = email_from_payload(sealed)
    assert (again.subject, again.body, again.to) == (email.subject, email.body, email.to)
    assert payload_sealed(sealed) is sealed  # sealed once only
