"""Every e-mail leaves through the task queue; no request talks to the mail server.

`MAILERS["default"]` is `QueuedEmailBackend`: `EmailMessage.send()`, `send_mail()`
and friends anywhere in the project turn each message into a `deliver_email`
task. The worker sends it through `MAILERS["outgoing"]` (SMTP in production, the
console by default) and retries it with backoff when the server refuses.

A message is frozen when it is queued (subject, body, recipients and a
Message-ID of its own), so a retry sends the same mail and a receiving server
can tell a repeat by its Message-ID.

What a message says (its body, HTML alternatives and attachments) is sealed
when it is queued: encrypted and authenticated (Fernet) with a key derived from
SECRET_KEY. A password-reset link, or any secret a future e-mail carries, is
then never readable at rest (the task rows in this database, a Redis queue, a
backup) nor by staff in the admin; only the worker opens it, to send it. The
envelope (subject, recipients, headers) stays readable: the admin lists it, so
it must never carry a secret. Keys in SECRET_KEY_FALLBACKS still open what was
sealed before a rotation. See SECURITY.md.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, EmailMultiAlternatives, make_msgid
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

OUTGOING = "outgoing"
# The payload's key holding the sealed content; a payload queued before sealing
# existed has "body", "alternatives" and "attachments" in the clear instead.
SEALED = "sealed"
CONTENT = ("body", "alternatives", "attachments")
_KEY_SALT = "background.mail.sealed-email-content"


class UnreadableEmail(Exception):
    """The sealed content cannot be opened: SECRET_KEY changed without a fallback, or tampering."""


def _sealer() -> MultiFernet:
    """Fernet keys from SECRET_KEY (seals and opens) and SECRET_KEY_FALLBACKS (open only)."""
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(
                    salted_hmac(_KEY_SALT, "", secret=secret, algorithm="sha256").digest()
                )
            )
            for secret in secrets
        ]
    )


def seal(content: dict[str, Any]) -> str:
    return _sealer().encrypt(json.dumps(content).encode()).decode("ascii")


def unseal(token: str) -> dict[str, Any]:
    try:
        return json.loads(_sealer().decrypt(token.encode("ascii")))
    except (InvalidToken, ValueError):
        # From None: the admin shows the root cause, and this sentence is the useful one.
        raise UnreadableEmail(
            "the e-mail was sealed with a secret key this site no longer has "
            "(keep the old key in DJANGO_SECRET_KEY_FALLBACKS while e-mails are queued)"
        ) from None


def payload_sealed(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` with its content sealed (a payload queued before sealing existed, or sealed)."""
    if SEALED in payload:
        return payload
    envelope = {key: value for key, value in payload.items() if key not in CONTENT}
    return {**envelope, SEALED: seal({key: payload[key] for key in CONTENT})}


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
    """A JSON-safe copy of `email`, its content sealed, with a Message-ID fixed now so
    retries keep it."""
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
    content = {
        "body": str(email.body),
        "alternatives": [
            [str(content), mimetype] for content, mimetype in getattr(email, "alternatives", [])
        ],
        "attachments": attachments,
    }
    return {
        "subject": str(email.subject),
        "from_email": email.from_email,
        "to": list(email.to),
        "cc": list(email.cc),
        "bcc": list(email.bcc),
        "reply_to": list(email.reply_to),
        "headers": headers,
        SEALED: seal(content),
    }


def email_from_payload(payload: dict[str, Any]) -> EmailMultiAlternatives:
    """The e-mail again, its content opened (raises `UnreadableEmail` if it cannot be)."""
    content = unseal(payload[SEALED]) if SEALED in payload else payload
    email = EmailMultiAlternatives(
        subject=payload["subject"],
        body=content["body"],
        from_email=payload["from_email"],
        to=payload["to"],
        cc=payload["cc"],
        bcc=payload["bcc"],
        reply_to=payload["reply_to"],
        headers=payload["headers"],
    )
    for alternative, mimetype in content["alternatives"]:
        email.attach_alternative(alternative, mimetype)
    for filename, data, mimetype in content["attachments"]:
        email.attach(filename, base64.b64decode(data), mimetype)
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
