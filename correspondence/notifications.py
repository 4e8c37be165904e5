"""E-mail notifications about a case, queued in the transaction of the write that causes them.

Support hears about new cases and seller replies at CASELOG_SUPPORT_EMAIL, in the
site's language; the seller (primary e-mail, CC list copied) hears about what
support did, from the no-reply DEFAULT_FROM_EMAIL. An e-mail to a user is written
in the language and time zone that user saved (`cases.preferences.recipients_preferences`,
the one rule for every e-mail): the owner's mail copies the CC addresses that read
as the owner does, and the CC addresses that are users reading another language or
zone get their own copy in it. A CC address that is no user's has saved nothing:
it is copied on the owner's mail, in the owner's language. Every mail
carries the case ID, its subject and the absolute case URL, and says that replies
to it are not read. Sending is not done here: `EmailMessage.send()` queues the
mail as a task (`background.mail`), and the worker delivers it.

The services do not call this module's functions: they call
`cases.notices.case_notify` inside their transaction, which reaches
`compose_case_notice` here (registered by `CorrespondenceConfig.ready`), so
every kind of e-mail is queued the same way, with the write.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.models import Case, CaseEvent
from cases.notices import ESCALATED, NEW_OWNER, REMINDER
from cases.preferences import (
    Preferences,
    recipient_preferences,
    recipients_preferences,
    site_preferences,
)
from correspondence.models import Message
from correspondence.selectors import message_for_system

logger = logging.getLogger(__name__)

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


def seller_mail_groups(case: Case) -> list[tuple[Preferences, list[str], list[str]]]:
    """(preferences, to, cc) of each mail a seller event sends: the owner's, copying
    the CC addresses that read as the owner does or are no user's; then one per
    other (language, zone) of the CC list's users, addressed to them."""
    owner = case.primary_email
    saved = recipients_preferences([owner, *case.cc_list])
    owners = saved.get(owner, site_preferences())
    groups: dict[Preferences, list[str]] = {}
    for address in case.cc_list:
        if address != owner:
            groups.setdefault(saved.get(address, owners), []).append(address)
    mails = [(owners, [owner], groups.pop(owners, []))]
    mails += [(preferences, addresses, []) for preferences, addresses in groups.items()]
    return mails


def _compose_for(
    audience: str, case: Case, event: str, message: Message | None
) -> list[EmailMessage]:
    if audience == SUPPORT:
        # The support inbox reads the site's language and zone.
        # Agents work in the admin: the link opens the case there.
        with translation.override(settings.LANGUAGE_CODE), timezone.override(settings.TIME_ZONE):
            return [
                _compose(
                    case=case,
                    headline=SUPPORT_EVENTS[event](),
                    to=[settings.CASELOG_SUPPORT_EMAIL],
                    cc=[],
                    message=message,
                    url=admin_case_url(case),
                    event=event,
                )
            ]
    if event == NEW_OWNER:
        # Only the new owner: the CC list did not change.
        language, zone = recipient_preferences(case.primary_email)
        with translation.override(language), timezone.override(zone):
            return [
                _compose(
                    case=case,
                    headline=SELLER_EVENTS[event](),
                    to=[case.primary_email],
                    cc=[],
                    message=None,
                )
            ]
    # The owner and the CC list, each in their saved language and zone. The support
    # message's text comes along (never its files, which stay behind the
    # access-checked case page) unless the operator turned it off.
    # An internal note never leaves the agents, whatever the caller passed.
    include = (
        settings.CASELOG_EMAIL_INCLUDES_MESSAGE and message is not None and not message.is_note
    )
    mails = []
    for (language, zone), to, cc in seller_mail_groups(case):
        with translation.override(language), timezone.override(zone):
            mails.append(
                _compose(
                    case=case,
                    headline=SELLER_EVENTS[event](),
                    to=to,
                    cc=cc,
                    message=message if include else None,
                    event=event,
                )
            )
    return mails


def _notify(audience: str, case: Case, event: str, message: Message | None) -> int:
    try:
        # The default mailer queues the e-mail as a task (background/mail.py): the
        # worker sends it, and retries it while the mail server is away.
        return sum(mail.send() for mail in _compose_for(audience, case, event, message))
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


def compose_case_notice(event: str, cases: list[Case], message_id: int | None) -> int:
    """The composer of every case notice (`cases.notices.case_notify`): who hears about
    `event` follows from it (SELLER_EVENTS, SUPPORT_EVENTS; a new owner alone)."""
    if event == NEW_OWNER:
        return notify_new_owner(cases)
    message = message_for_system(message_id)
    audience = SELLER if event in SELLER_EVENTS else SUPPORT
    if audience == SUPPORT and event not in SUPPORT_EVENTS:
        raise ValueError(f"No e-mail is written for {event!r}")
    return sum(_notify(audience, case, event, message) for case in cases)
