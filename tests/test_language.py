"""The language a user chooses on the site is kept on their account (`User.language`)
and is the language of the notification e-mails they receive."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import translation

from cases.models import CaseEvent
from correspondence.models import Message
from correspondence.notifications import notify_seller
from correspondence.services import case_open, case_timers_run, message_post
from tests.conftest import PASSWORD, make_case, make_user

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


def test_logging_in_from_a_browser_in_another_language_keeps_the_saved_one(client, seller):
    """The browser's languages are no choice: the saved language stays, and the site
    follows it from the first page after the login."""
    seller.language = "fr"
    seller.save(update_fields=["language"])
    response = client.post(
        "/accounts/login/",
        {"username": seller.email, "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8",
    )
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    seller.refresh_from_db()
    assert seller.language == "fr"
    page = client.get("/cases/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")
    assert "Journal des cas" in page.text


def test_logging_in_after_choosing_a_language_on_the_login_page_saves_it(client, seller):
    seller.language = "fr"
    seller.save(update_fields=["language"])
    switch(client, "en")
    client.post("/accounts/login/", {"username": seller.email, "password": PASSWORD})
    seller.refresh_from_db()
    assert seller.language == "en"


def test_what_the_switcher_saves_is_the_language_of_every_device(seller, client):
    """The phone's switcher saved French: the desktop, whose cookie still says
    English, shows French too, and its cookie is brought in step."""
    phone = client
    phone.force_login(seller)
    desktop = type(client)()
    desktop.force_login(seller)
    desktop.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert '<html lang="en"' in desktop.get("/cases/").text

    switch(phone, "fr")

    response = desktop.get("/cases/")
    assert '<html lang="fr"' in response.text
    assert "Journal des cas" in response.text
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    profile = desktop.get("/accounts/profile/").text
    assert '<option value="fr" selected>' in profile


def test_after_signing_out_the_device_stays_in_the_saved_language(seller, client):
    seller.language = "fr"
    seller.save(update_fields=["language"])
    client.force_login(seller)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.get("/cases/")
    client.post("/accounts/logout/")
    assert "Mot de passe" in client.get("/accounts/login/").text


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


def test_the_reminder_goes_in_the_language_the_seller_reads_in(
    account, seller, support_agent, client, django_capture_on_commit_callbacks
):
    """The seller read in English on the desktop after the phone had said French:
    the switcher saved English, and the reminder, composed by the timers in a worker
    whatever language that runs in, is English."""
    seller.language = "fr"
    seller.save(update_fields=["language"])
    client.force_login(seller)
    switch(client, "en")
    case = case_open(account=account, author=seller, subject="Payout", body="Where?").case
    message_post(
        case=case, author=support_agent, direction=Message.Direction.FROM_SUPPORT, body="Done."
    )
    case.refresh_from_db()
    mail.outbox.clear()

    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):
        case_timers_run(now=case.auto_resolve_at - timedelta(days=1))

    (reminder,) = mail.outbox
    assert reminder.to == [seller.email]
    assert "Your case will be resolved automatically soon." in reminder.subject
    assert "It will be resolved automatically on" in reminder.body


def test_each_address_on_the_cc_list_reads_in_its_own_language(account, seller, colleague):
    """The owner's mail copies the addresses that read as the owner does and those
    that are nobody's (they have saved nothing: the owner's language); a CC'd user
    who reads another language gets the same news in it, in a mail of their own."""
    User = type(seller)
    User.objects.filter(pk=seller.pk).update(language="en")
    User.objects.filter(pk=colleague.pk).update(language="fr", time_zone="America/Montreal")
    english_reader = make_user("boss@example.com", account=account)
    User.objects.filter(pk=english_reader.pk).update(language="en")
    case = make_case(
        account,
        owner=seller,
        cc_list=[colleague.email, "accounting@example.org", english_reader.email],
    )

    with translation.override("fr"):
        assert notify_seller(case, CaseEvent.SUPPORT_ANSWERED) == 2

    owners, colleagues = mail.outbox
    assert owners.to == [seller.email]
    assert owners.cc == ["accounting@example.org", "boss@example.com"]
    assert "Seller Support answered your case." in owners.subject
    assert (colleagues.to, colleagues.cc) == ([colleague.email], [])
    assert "Le Support vendeur a répondu à votre cas" in colleagues.subject
    assert "America/Montreal" in colleagues.body


def test_a_cc_list_that_reads_as_the_owner_gets_one_mail(account, seller, colleague):
    case = make_case(account, owner=seller, cc_list=[colleague.email, "x@example.org"])
    assert notify_seller(case, CaseEvent.RESOLVED) == 1
    (sent,) = mail.outbox
    assert (sent.to, sent.cc) == ([seller.email], [colleague.email, "x@example.org"])


def test_the_password_reset_goes_in_the_users_saved_language(client, seller):
    seller.language = "en"
    seller.save(update_fields=["language"])
    switch(client, "fr")  # the reset is asked from a page shown in French
    client.post("/accounts/password_reset/", {"email": seller.email})
    (sent,) = mail.outbox
    assert sent.subject == "Choose a new password for Seller Support"
