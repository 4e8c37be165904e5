"""The language and time zone an e-mail to someone is written in: the ones their
user saved, else the site's (`recipients_preferences`, one query for a list).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from django.conf import settings

from cases.models import User, available_time_zones


class Preferences(NamedTuple):
    """How an e-mail to someone is written: their language and their time zone."""

    language: str
    time_zone: str


def site_preferences() -> Preferences:
    return Preferences(settings.LANGUAGE_CODE, settings.TIME_ZONE)


def recipients_preferences(emails: Iterable[str]) -> dict[str, Preferences]:
    """The language and zone of each address that is a user's, as the user saved
    them (the site's where none is saved, or the zone is one the system no longer
    knows), in one query. Every e-mail to a user is written in these; an address
    that is no user's is left out, for the caller to decide."""
    emails = list(emails)
    by_lower = {email.strip().lower(): email for email in emails}
    site = site_preferences()
    found: dict[str, Preferences] = {}
    for email, language, zone in User.objects.filter(email__in=list(by_lower)).values_list(
        "email", "language", "time_zone"
    ):
        found[by_lower[email]] = Preferences(
            language or site.language,
            zone if zone in available_time_zones() else site.time_zone,
        )
    return {email: found[email] for email in emails if email in found}


def recipient_preferences(email: str) -> Preferences:
    """The language and zone to write to `email` in: its user's, else the site's."""
    return recipients_preferences([email]).get(email, site_preferences())


def recipient_language(email: str) -> str:
    """The language of this recipient: the one their user saved, else the site's."""
    return recipient_preferences(email).language
