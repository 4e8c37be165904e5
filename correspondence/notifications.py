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

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import Case, CaseEvent, available_time_zones
from correspondence.models import Message

logger = logging.getLogger(__name__)

# Notifications that are not moves of the state table.
REMINDER = "reminder"  # run_case_timers: the automatic resolution is near
NEW_OWNER = "new_owner"  # the case's primary e-mail changed to this owner
ESCALATED = "escalated"  # the seller asked for escalation

# Events that tell the seller something, with the sentence that opens the mail.
SELLER_EVENTS = {
    CaseEvent.SUPPORT_ANSWERED: lambda: _("Seller Support answered your case."),
    CaseEvent.SUPPORT_NEEDS_ACTION: lambda: _(
        "Seller Support answered your case and needs you to act."
    ),
    CaseEvent.TRANSFERRED: lambda: _("Your case was transferred to another support team."),
    CaseEvent.RESOLVED: lambda: _("Seller Support resolved your case."),
    CaseEvent.AUTO_RESOLVED: lambda: _(
        "Your case was resolved automatically: nobody replied to the last answer in time."
    ),
    CaseEvent.REOPENED: lambda: _("Seller Support reopened your case to investigate further."),
    REMINDER: lambda: _("Your case will be resolved automatically soon."),
    NEW_OWNER: lambda: _("You are now the owner of this case."),
}
SUPPORT_EVENTS = {
    CaseEvent.SELLER_OPENED: lambda: _("A seller opened a new case."),
    CaseEvent.SELLER_REPLIED: lambda: _("A seller replied to a case."),
    CaseEvent.SELLER_NOT_SOLVED: lambda: _("A seller says the answer did not solve the problem."),
    CaseEvent.SELLER_RESOLVED: lambda: _("A seller resolved a case."),
    ESCALATED: lambda: _("A seller asked for escalation."),
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


def admin_case_url(case: Case) -> str:
    return settings.CASELOG_SITE_URL.rstrip("/") + reverse(
        "admin:cases_case_change", args=[case.pk]
    )


def _compose(
    *,
    case: Case,
    headline: str,
    to: list[str],
    cc: list[str],
    message: Message | None,
    url: str | None = None,
    event: str = "",
) -> EmailMessage:
    context = {
        "case": case,
        "headline": headline,
        "case_url": url or case_url(case),
        "message": message,
        "when": message.sent_at if message is not None else case.last_activity_at,
        "reminder": event == REMINDER,
        "escalation": event == ESCALATED,
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
        # Agents work in the admin: the link opens the case there.
        with translation.override(settings.LANGUAGE_CODE), timezone.override(settings.TIME_ZONE):
            return _compose(
                case=case,
                headline=SUPPORT_EVENTS[event](),
                to=[settings.CASELOG_SUPPORT_EMAIL],
                cc=[],
                message=message,
                url=admin_case_url(case),
                event=event,
            )
    language, zone = recipient_preferences(case.primary_email)
    if event == NEW_OWNER:
        # Only the new owner: the CC list did not change.
        with translation.override(language), timezone.override(zone):
            return _compose(
                case=case,
                headline=SELLER_EVENTS[event](),
                to=[case.primary_email],
                cc=[],
                message=None,
            )
    # One mail to the owner, the CC list copied: in the owner's language and zone.
    # The support message's text comes along (never its files, which stay behind
    # the access-checked case page) unless the operator turned it off.
    # An internal note never leaves the agents, whatever the caller passed.
    include = (
        settings.CASELOG_EMAIL_INCLUDES_MESSAGE and message is not None and not message.is_note
    )
    with translation.override(language), timezone.override(zone):
        return _compose(
            case=case,
            headline=SELLER_EVENTS[event](),
            to=[case.primary_email],
            cc=list(case.cc_list),
            message=message if include else None,
            event=event,
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


def notify_new_owner(cases: list[Case]) -> int:
    """Tell the new primary e-mail of `cases` (one owner: an edit or a hand-off) which
    cases are theirs now: one e-mail, whatever the number of cases."""
    if len(cases) <= 1:
        return sum(_notify(SELLER, case, NEW_OWNER, None) for case in cases)
    owner = cases[0].primary_email
    language, zone = recipient_preferences(owner)
    try:
        with translation.override(language), timezone.override(zone):
            subject = ngettext(
                "%(count)d case is now yours", "%(count)d cases are now yours", len(cases)
            ) % {"count": len(cases)}
            body = render_to_string(
                "correspondence/email/new_owner.txt",
                {"cases": [(case, case_url(case)) for case in cases]},
            )
        email = EmailMessage(
            subject=one_line(subject),
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[owner],
            headers=_HEADERS,
        )
        # Queued as a task like every e-mail (background/mail.py).
        return email.send()
    except Exception:
        logger.exception("Could not queue the e-mail to %s about the cases handed to them", owner)
        return 0


def notify_reminder(case: Case) -> int:
    """Tell the owner, CC list copied, that the case will be resolved automatically soon."""
    return _notify(SELLER, case, REMINDER, None)


def notify_escalation(case: Case) -> int:
    """Tell the support inbox that a seller asked for escalation."""
    return _notify(SUPPORT, case, ESCALATED, None)
