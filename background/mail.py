"""Every e-mail leaves through the task queue; no request talks to the mail server.

`MAILERS["default"]` is `QueuedEmailBackend`: `EmailMessage.send()`, `send_mail()`
and friends anywhere in the project turn each message into a `deliver_email`
task. The worker sends it through `MAILERS["outgoing"]` (SMTP in production, the
console by default) and retries it with backoff when the server refuses.

A message is frozen when it is queued (subject, body, recipients and a
Message-ID of its own), so a retry sends the same mail and a receiving server
can tell a repeat by its Message-ID.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, EmailMultiAlternatives, make_msgid
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.translation import gettext_lazy as _

OUTGOING = "outgoing"
# The longest address SMTP carries (RFC 5321's path, less its angle brackets).
MAX_ADDRESS_LENGTH = 254


def address_can_be_sent(address: str) -> bool:
    """Whether a mail server can be given `address` as we send (no SMTPUTF8): an
    ASCII local part, and a domain that Python's IDNA codec encodes and reads back
    ("x@\ue000.com", a label of 63 "é" and the malformed A-label "xn--zz" fail),
    within MAX_ADDRESS_LENGTH once encoded.

    The one test, applied where an address is accepted
    (`validate_sendable_address`) and again when an e-mail leaves
    (`drop_unsendable`), for the addresses stored before it existed.
    """
    local, at, domain = str(address).rpartition("@")
    if not at or not local or not local.isascii():
        return False
    try:
        encoded = domain.encode("idna")
        encoded.decode("idna")
    except UnicodeError:
        return False
    return len(local) + 1 + len(encoded) <= MAX_ADDRESS_LENGTH


def validate_sendable_address(address: str) -> None:
    """A validator for every field that accepts an e-mail address (after Django's own)."""
    if not address_can_be_sent(address):
        raise ValidationError(
            _("“%(address)s” cannot receive e-mail from this site. Check the address."),
            code="unsendable_email",
            params={"address": str(address)[:MAX_ADDRESS_LENGTH]},
        )


def drop_unsendable(email: EmailMessage) -> list[str]:
    """Take out of `email`'s recipients every address that cannot be sent to, and
    return them: one odd address must not keep the others from their e-mail."""
    dropped: list[str] = []
    for field in ("to", "cc", "bcc"):
        kept: list[str] = []
        for address in getattr(email, field):
            (kept if address_can_be_sent(address) else dropped).append(address)
        setattr(email, field, kept)
    return dropped


def email_to_payload(email: EmailMessage) -> dict[str, Any]:
    """A JSON-safe copy of `email`, with a Message-ID fixed now so retries keep it."""
    headers = dict(email.extra_headers)
    if not any(name.lower() == "message-id" for name in headers):
        headers["Message-ID"] = make_msgid(domain="caselog")
    attachments = []
    for attachment in email.attachments:
        filename, content, mimetype = attachment
        if isinstance(content, str):
            content = content.encode()
        elif not isinstance(content, bytes):  # a MIMEBase part
            content = content.as_bytes()
        attachments.append([filename, base64.b64encode(content).decode("ascii"), mimetype])
    return {
        "subject": str(email.subject),
        "body": str(email.body),
        "from_email": email.from_email,
        "to": list(email.to),
        "cc": list(email.cc),
        "bcc": list(email.bcc),
        "reply_to": list(email.reply_to),
        "headers": headers,
        "alternatives": [
            [str(content), mimetype] for content, mimetype in getattr(email, "alternatives", [])
        ],
        "attachments": attachments,
    }


def email_from_payload(payload: dict[str, Any]) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=payload["subject"],
        body=payload["body"],
        from_email=payload["from_email"],
        to=payload["to"],
        cc=payload["cc"],
        bcc=payload["bcc"],
        reply_to=payload["reply_to"],
        headers=payload["headers"],
    )
    for content, mimetype in payload["alternatives"]:
        email.attach_alternative(content, mimetype)
    for filename, content, mimetype in payload["attachments"]:
        email.attach(filename, base64.b64decode(content), mimetype)
    return email


def describe(payload: dict[str, Any]) -> str:
    """One line for the admin and the logs: the recipients and the subject."""
    recipients = ", ".join([*payload.get("to", []), *payload.get("cc", [])])
    return f"{recipients}: {payload.get('subject', '')}"


class QueuedEmailBackend(BaseEmailBackend):
    """A mailer that queues each message as a `deliver_email` task instead of sending it."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        # Here, not at the top: background.tasks imports this module (a cycle).
        from background.tasks import deliver_email, enqueue_on_commit  # noqa: PLC0415

        queued = 0
        for email in email_messages:
            if not email.recipients():
                continue
            enqueue_on_commit(deliver_email, email_to_payload(email))
            queued += 1
        return queued
