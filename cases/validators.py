"""The rules for the editable fields of a case, shared by forms and services."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from background.mail import MAX_ADDRESS_LENGTH, validate_sendable_address
from cases.models import MAX_CC, SHORT_DESCRIPTION_MAX, canonical_email

_SEPARATORS = re.compile(r"[\s,;]+")
# C0 and C1 control characters but tab, line feed and carriage return: nothing a
# person types means them, and some (\x02, \x03) are the search highlighter's
# markers. Format characters (Cf: bidi marks, joiners in emoji) are real text.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


CASE_ID_DIGITS = 10
# The longest CC list as typed: MAX_CC addresses of the longest length, a line each.
MAX_CC_TEXT_LENGTH = MAX_CC * (MAX_ADDRESS_LENGTH + 2)


def case_id_digits(text: str, *, shortest: int = CASE_ID_DIGITS) -> str | None:
    """The digits of a case ID a person typed, as 0–9: `shortest` to 10 decimal
    digits, spaces ignored; None for anything else.

    The one parser of typed case IDs (the related-case field, `?related=`, the
    log's search by ID or its start). Decimal digits of any script count
    ("١٢٣٤", full-width "１２３４"); other digits do not ('²'.isdigit() is true,
    but it is no decimal digit).
    """
    digits = "".join(text.split())
    if not (shortest <= len(digits) <= CASE_ID_DIGITS) or not digits.isdecimal():
        return None
    return "".join(str(unicodedata.decimal(char)) for char in digits)


def parse_case_id(text: str) -> int | None:
    """A whole case ID (10 digits, see `case_id_digits`), or None. Whether such a case
    exists, and is the user's, is the access door's question."""
    digits = case_id_digits(text)
    return None if digits is None else int(digits)


def strip_control_characters(text: str) -> str:
    """`text` without control characters (tab, line feed and CR kept); CRLF as LF.

    The one rule for what a person types into a case or a message (short
    description, subject, body), applied by the forms and again by the services.
    """
    return _CONTROL_CHARACTERS.sub("", (text or "").replace("\r\n", "\n"))


def normalize_email(address: str) -> str:
    """Trim, validate and lower-case the domain (and, as for logins, the local part)."""
    address = address.strip()
    validate_email(address)
    return canonical_email(address)


def parse_cc_list(raw: str | list[str]) -> list[str]:
    """Addresses typed one per line or comma-separated → a clean, de-duplicated list.

    A list over its limit gets one error, before any address is checked (a list of
    50,000 addresses once took seconds and a page of as many errors); each address
    must be valid and one a mail server can be given (`validate_sendable_address`).
    """
    if isinstance(raw, str) and len(raw) > MAX_CC_TEXT_LENGTH:
        raise ValidationError(
            ngettext(
                "The CC list is too long: it can hold at most %(max)d address.",
                "The CC list is too long: it can hold at most %(max)d addresses.",
                MAX_CC,
            ),
            code="cc_too_long",
            params={"max": MAX_CC},
        )
    items = raw if isinstance(raw, list) else _SEPARATORS.split(raw or "")
    typed: dict[str, str] = {}  # once each, as first typed (addresses are case-blind)
    for item in items:
        if item.strip():
            typed.setdefault(item.strip().lower(), item.strip())
    if len(typed) > MAX_CC:
        raise ValidationError(
            ngettext(
                "The CC list can hold at most %(max)d address; you entered %(count)d.",
                "The CC list can hold at most %(max)d addresses; you entered %(count)d.",
                MAX_CC,
            ),
            code="too_many_cc",
            params={"max": MAX_CC, "count": len(typed)},
        )
    cleaned: list[str] = []
    errors: list[ValidationError] = []
    for item in typed.values():
        try:
            address = normalize_email(item)
        except ValidationError:
            errors.append(
                ValidationError(
                    _("“%(address)s” is not a valid e-mail address."),
                    code="invalid_cc",
                    params={"address": item[:254]},
                )
            )
            continue
        try:
            validate_sendable_address(address)
        except ValidationError as error:
            errors.append(error)
            continue
        if address not in cleaned:
            cleaned.append(address)
    if errors:
        raise ValidationError(errors)
    return cleaned


def clean_short_description(value: str) -> str:
    value = " ".join(strip_control_characters(value).split())
    if not value:
        raise ValidationError(_("Enter a short description."), code="required")
    if len(value) > SHORT_DESCRIPTION_MAX:
        raise ValidationError(
            _("Keep the short description to %(max)d characters or fewer (it has %(count)d)."),
            code="max_length",
            params={"max": SHORT_DESCRIPTION_MAX, "count": len(value)},
        )
    return value
