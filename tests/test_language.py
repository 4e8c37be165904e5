"""The language a user chooses on the site is kept on their account (`User.language`)
and is the language of the notification e-mails they receive."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.utils import translation

from cases.models import CaseEvent
from correspondence.models import Message
from correspondence.services import case_open, message_post
from tests.conftest import PASSWORD

SETLANG = "/i18n/setlang/"


@pytest.fixture(autouse=True)
def _site_language_after():
    """A French request leaves French active in this thread: not for the next test."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def switch(client, code: str):
    return client.post(SETLANG, {"language": code, "next": "/cases/"})


def test_switching_language_keeps_the_choice_on_the_account(seller_client, seller):
    response = switch(seller_client, "fr")

    assert response.status_code == 302
    assert response["Location"] == "/cases/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    seller.refresh_from_db()
    assert seller.language == "fr"
    assert "Journal des cas" in seller_client.get("/cases/").text

    switch(seller_client, "en")
    seller.refresh_from_db()
    assert seller.language == "en"


@pytest.mark.parametrize("code", ["de", "xx", ""])
def test_a_language_the_site_does_not_offer_is_not_kept(seller_client, seller, code):
    switch(seller_client, code)
    seller.refresh_from_db()
    assert seller.language == ""


def test_a_regional_variant_is_kept_as_the_offered_language(seller_client, seller):
    switch(seller_client, "fr-ca")
    seller.refresh_from_db()
    assert seller.language == "fr"


def test_anonymous_visitors_switch_language_with_the_cookie_only(client):
    response = client.post(SETLANG, {"language": "fr", "next": "/accounts/login/"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert "Mot de passe" in client.get("/accounts/login/").text


def test_a_get_changes_nothing(seller_client, seller):
    response = seller_client.get(SETLANG, {"language": "fr", "next": "/cases/"})
    assert response.status_code == 302
    seller.refresh_from_db()
    assert seller.language == ""


def test_logging_in_keeps_the_language_the_site_is_shown_in(client, seller):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.post("/accounts/login/", {"username": seller.email, "password": PASSWORD})
    assert response.status_code == 302
    seller.refresh_from_db()
    assert seller.language == "fr"


def test_logging_in_from_an_english_browser(client, seller):
    seller.language = "fr"
    seller.save(update_fields=["language"])
    response = client.post(
        "/accounts/login/",
        {"username": seller.email, "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8",
    )
    assert response.status_code == 302
    seller.refresh_from_db()
    assert seller.language == "en"


def test_a_french_seller_gets_french_mail_and_an_english_one_english(
    settings,
    account,
    seller,
    colleague,
    support_agent,
    seller_client,
    colleague_client,
    django_capture_on_commit_callbacks,
):
    settings.CASELOG_SITE_URL = "http://testserver.example/"
    switch(seller_client, "fr")
    switch(colleague_client, "en")
    cases = {
        user.email: case_open(account=account, author=user, subject="Payout", body="Where?").case
        for user in (seller, colleague)
    }
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        for case in cases.values():
            message_post(
                case=case,
                author=support_agent,
                direction=Message.Direction.FROM_SUPPORT,
                body="Please send the statement.",
                needs_action=True,
            )

    by_recipient = {sent.to[0]: sent for sent in mail.outbox}
    french = by_recipient[seller.email]
    assert french.subject.startswith(f"[Cas {cases[seller.email].id}]")
    assert "Le Support vendeur a répondu à votre cas" in french.subject
    assert "Ouvrir le cas\u00a0:" in french.body
    assert "Open the case" not in french.body
    english = by_recipient[colleague.email]
    assert english.subject.startswith(f"[Case {cases[colleague.email].id}]")
    assert "Seller Support answered your case and needs you to act." in english.subject
    assert "Open the case:" in english.body
    assert str(CaseEvent.SUPPORT_NEEDS_ACTION) not in english.body
