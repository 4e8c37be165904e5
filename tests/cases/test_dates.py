"""One date style per language on every seller page: the case page's summary, its
turn line, its thread, files and history, and the log all write a moment alike
(English "27 Nov 2026, 07:40", French "27/11/2026 07:40"), whatever format name a
template asks for."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import formats, translation

from correspondence.models import Message
from correspondence.services import case_open, message_post

STYLE = {
    "en": r"\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}, \d{2}:\d{2}",
    "fr": r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}",
}
FRENCH_MONTHS = (
    "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
)


@pytest.fixture(autouse=True)
def _site_language_after():
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_name_gives_the_same_style(language):
    moment = datetime(2026, 11, 27, 7, 40, tzinfo=UTC)
    with translation.override(language):
        written = {
            name: formats.date_format(moment, name)
            for name in ("DATETIME_FORMAT", "SHORT_DATETIME_FORMAT")
        }
        days = {formats.date_format(moment, n) for n in ("DATE_FORMAT", "SHORT_DATE_FORMAT")}
    assert len(set(written.values())) == 1, written
    assert re.fullmatch(STYLE[language], written["DATETIME_FORMAT"])
    assert len(days) == 1


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_case_page_and_the_log_write_every_moment_alike(
    seller_client, account, seller, support_agent, language
):
    case = case_open(
        account=account,
        author=seller,
        subject="Payout",
        body="Where is it?",
        files=[SimpleUploadedFile("note.txt", b"hello", content_type="text/plain")],
    ).case
    message_post(
        case=case,
        author=support_agent,
        direction=Message.Direction.FROM_SUPPORT,
        body="Please send the statement.",
        needs_action=True,  # the turn line then gives the automatic resolution's date
    )
    seller_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    page = seller_client.get(f"/cases/{case.id}/").text
    log = seller_client.get("/cases/").text

    for text in (page, log):
        shown = re.findall(r"<time datetime=\"[^\"]+\">([^<]*)</time>", text)
        assert shown, "no moment shown"
        assert all(re.fullmatch(STYLE[language], value) for value in shown), shown
        assert not re.search(rf"\d (?:{FRENCH_MONTHS}) \d{{4}}", text)
    summary_and_thread = re.findall(r"<time datetime=", page)
    assert len(summary_and_thread) >= 5  # created, last activity, 2 messages, the file
    auto_resolve = re.search(r'class="[^"]*auto-resolve[^"]*">\s*<span>(.*?)</span>', page, re.S)
    assert auto_resolve is not None
    assert re.search(STYLE[language], auto_resolve.group(1))
