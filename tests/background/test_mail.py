"""An e-mail survives the queue unchanged: what is queued is what is sent."""

from __future__ import annotations

import json

from django.core import mail
from django.core.mail import EmailMultiAlternatives

from background.mail import email_from_payload, email_to_payload


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
