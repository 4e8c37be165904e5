"""Rows and messages for the golden tests of the HTML fragments: every kind the
pages show, with hostile text, built in memory; their display values (dates, URLs,
sizes, state texts) come from the pages' own helpers (`log_rows_display`,
`prepare_thread`)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.html import format_html

from cases.display import log_rows_display
from cases.models import Case, CaseState
from correspondence.display import prepare_thread
from correspondence.models import Attachment, Message

HOSTILE = "<script>alert('x')</script> \"quoted\" & 'single' <b>bold</b> &amp; é"
CREATED = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # Paris changes to summer time that night


def log_rows() -> list[Case]:
    """Every state; resolved ones expired, expiring today and in many days; updated
    or not; opened by the owner, by someone else, by nobody known; with and without
    a search snippet; hostile descriptions, e-mails and snippets."""
    now = timezone.now()
    rows = []
    variants = [(state, None) for state in CaseState if state != CaseState.RESOLVED]
    variants += [(CaseState.RESOLVED, days) for days in (1, 29.5, 31, 400)]
    for i, (state, resolved_days) in enumerate(variants * 2):
        case = Case(
            id=1_000_000_001 + i * 7919,
            state=state,
            created_at=CREATED + timedelta(hours=i * 5),
            last_activity_at=CREATED + timedelta(days=i, minutes=7),
            resolved_at=now - timedelta(days=resolved_days) if resolved_days else None,
            primary_email=f"o'brien&co{i % 3}@example.com",
            short_description=HOSTILE if i % 2 else f"Refund {i} — « remboursement »",
        )
        case.opened_by_email = ["", case.primary_email, "colleague+<x>@example.com"][i % 3]
        case.changed_since_seen = i % 4 in (0, 3) and not case.is_expired
        case.search_snippet = (
            format_html("…the {} was {}…", format_html("<mark>{}</mark>", "parcel"), HOSTILE)
            if i % 5 in (1, 2)
            else None
        )
        rows.append(case)
    return log_rows_display(rows)  # what the log page adds to each row


def thread() -> list[Message]:
    """Seller and support messages; with no subject, a hostile one; 0 to 3 files
    (hostile names, sizes in every unit); an author who left."""
    user_model = get_user_model()
    seller = user_model(email="seller&'son@example.com")
    agent = user_model(email="agent@example.com")
    messages = []
    for i in range(12):
        support = i % 3 == 1
        message = Message(
            pk=100 + i,
            direction=Message.Direction.FROM_SUPPORT if support else Message.Direction.FROM_SELLER,
            subject=["", HOSTILE, f"Order 171-765432{i} — « colis »"][i % 3],
            body=f"Hello,\n\n{HOSTILE}\nline two\n\n\nhttps://example.com/?a=1&b=2",
            author=agent if support else (None if i == 4 else seller),
            sent_at=CREATED + timedelta(hours=i * 3),
        )
        message.files = []
        for j in range(i % 4):
            attachment = Attachment(
                token=f"tok{i}x{j}-AbCd_" if i != 5 else f"odd token+{j}",
                original_name=f"{HOSTILE}-{j}.pdf" if j == 1 else f"facture-{i}-{j}.pdf",
                size=[0, 1000, 1536, 3 * 1024**2 + 5, 7 * 1024**3][(i + j) % 5],
                uploaded_at=message.sent_at + timedelta(seconds=j),
            )
            message.files.append(attachment)
        messages.append(message)
    prepare_thread(messages)  # what the case page adds to each message and file
    return messages


def visible_text(markup: str) -> str:
    """What a reader sees, whitespace collapsed: catches a space lost between two
    inline elements, which a comparison of trees forgives."""
    return " ".join(html.unescape(re.sub(r"<[^>]*>", "", markup)).split())
