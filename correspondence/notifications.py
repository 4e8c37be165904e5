"""E-mail notifications about a case, queued after the transaction commits.

Support hears about new cases and seller replies at CASELOG_SUPPORT_EMAIL, in the
site's language; the seller (primary e-mail, CC list copied) hears about what
support did, from the no-reply DEFAULT_FROM_EMAIL, in the language the owner last
chose on the site (`User.language`; the site default otherwise). Every mail
carries the case ID, its subject and the absolute case URL, and says that replies
to it are not read. Sending is not done here: `EmailMessage.send()` queues the
mail as a task (`background.mail`), and the worker delivers it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.models import Case, CaseEvent, available_time_zones

if TYPE_CHECKING:
    from correspondence.models import Message

logger = logging.getLogger(__name__)

# Events that tell the seller something, with the sentence that opens the mail.
SELLER_EVENTS = {
    CaseEvent.SUPPORT_ANSWERED: lambda: _("Seller Support answered your case."),
    CaseEvent.SUPPORT_NEEDS_ACTION: lambda: _(
        "Seller Support answered your case and needs you to act."
    ),
    CaseEvent.TRANSFERRED: lambda: _("Your case was transferred to another support team."),
    CaseEvent.RESOLVED: lambda: _("Seller Support resolved your case."),
    CaseEvent.REOPENED: lambda: _("Seller Support reopened your case to investigate further."),
}
SUPPORT_EVENTS = {
    CaseEvent.SELLER_OPENED: lambda: _("A seller opened a new case."),
    CaseEvent.SELLER_REPLIED: lambda: _("A seller replied to a case."),
}
SUPPORT = "support"
SELLER = "seller"
# Automated mail: ask auto-responders (out of office…) not to answer it.
_HEADERS = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}


def case_url(case: Case) -> str:
    return settings.CASELOG_SITE_URL.rstrip("/") + case.get_absolute_url()


def one_line(text: str) -> str:
    """A header value: CR/LF and other line breaks would let text inject headers."""
    return " ".join(str(text).split())


def _compose(
    *, case: Case, headline: str, to: list[str], cc: list[str], message: Message | None
) -> EmailMessage:
    context = {
        "case": case,
        "headline": headline,
        "case_url": case_url(case),
        "message": message,
        "when": message.sent_at if message is not None else case.last_activity_at,
    }
    subject = one_line(
        _("[Case %(id)s] %(headline)s %(subject)s")
        % {"id": case.pk, "headline": headline, "subject": case.short_description}
    )
    return EmailMessage(
        subject=subject[:250],
        body=render_to_string("correspondence/email/notification.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        cc=[address for address in cc if address not in to],
        headers=_HEADERS,
    )


def recipient_language(email: str) -> str:
    """The language the user with this e-mail chose on the site, else the site default."""
    return recipient_preferences(email)[0]


def recipient_preferences(email: str) -> tuple[str, str]:
    """(language, time zone) the user with this e-mail chose on the site, else the
    site's defaults (an unknown zone falls back to the site's too)."""
    from django.contrib.auth import get_user_model

    chosen = (
        get_user_model()
        .objects.filter(email__iexact=email)
        .values_list("language", "time_zone")
        .first()
    ) or ("", "")
    language, zone = chosen
    if zone not in available_time_zones():
        zone = settings.TIME_ZONE
    return language or settings.LANGUAGE_CODE, zone


def _compose_for(audience: str, case: Case, event: str, message: Message | None) -> EmailMessage:
    if audience == SUPPORT:
        # The support inbox reads the site's language and zone.
        with translation.override(settings.LANGUAGE_CODE), timezone.override(settings.TIME_ZONE):
            return _compose(
                case=case,
                headline=SUPPORT_EVENTS[CaseEvent(event)](),
                to=[settings.CASELOG_SUPPORT_EMAIL],
                cc=[],
                message=message,
            )
    # One mail to the owner, the CC list copied: in the owner's language and zone.
    language, zone = recipient_preferences(case.primary_email)
    with translation.override(language), timezone.override(zone):
        return _compose(
            case=case,
            headline=SELLER_EVENTS[CaseEvent(event)](),
            to=[case.primary_email],
            cc=list(case.cc_list),
            message=None,  # the message itself is read on the access-checked case page
        )


def _notify(audience: str, case: Case, event: str, message: Message | None) -> int:
    try:
        # The default mailer queues the e-mail as a task (background/mail.py): the
        # worker sends it, and retries it while the mail server is away.
        return _compose_for(audience, case, event, message).send()
    except Exception:
        # The case and message are already saved; failing to queue the mail must
        # not turn that into an error page. The operator finds it in the log.
        logger.exception("Could not queue the notification for case %s", case.pk)
        return 0


def notify_support(case: Case, event: str, message: Message | None = None) -> int:
    """Tell the support inbox that a seller opened (SELLER_OPENED) or replied to a case."""
    return _notify(SUPPORT, case, event, message)


def notify_seller(case: Case, event: str, message: Message | None = None) -> int:
    """Tell the case owner, CC list copied, what support did (answered, transferred…)."""
    return _notify(SELLER, case, event, message)
