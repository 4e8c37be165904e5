"""Login throttling, sessions, error pages, download headers and over-size requests."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client

from cases.models import CaseState
from correspondence.models import Message
from correspondence.services import message_post
from tests.conftest import PASSWORD, make_case, make_user
from tests.correspondence.conftest import pdf

LOGIN = "/accounts/login/"


def fail_login(client: Client, email: str = "seller@example.com", **extra):
    return client.post(LOGIN, {"username": email, "password": "wrong-password"}, **extra)


def test_five_wrong_passwords_lock_that_user_from_that_address(seller, colleague):
    client = Client(REMOTE_ADDR="203.0.113.5")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert fail_login(client).status_code == 200
    locked = fail_login(client)
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.text
    assert "Try again in 15 minutes" in locked.text
    assert "Traceback" not in locked.text
    # Even the right password is refused now, from this address…
    right = client.post(LOGIN, {"username": "Seller@Example.com", "password": PASSWORD})
    assert right.status_code == 429
    # …but the same user from elsewhere, and a colleague from here, can log in.
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    response = elsewhere.post(LOGIN, {"username": "seller@example.com", "password": PASSWORD})
    assert response.status_code == 302
    response = client.post(LOGIN, {"username": "colleague@example.com", "password": PASSWORD})
    assert response.status_code == 302


def test_a_successful_login_resets_the_count(seller):
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        fail_login(client)
    assert (
        client.post(LOGIN, {"username": "seller@example.com", "password": PASSWORD}).status_code
        == 302
    )
    client.post("/accounts/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert fail_login(client).status_code == 200


def test_force_login_still_works_behind_the_throttle(seller_client):
    assert seller_client.get("/cases/").status_code == 200


def test_sessions_end_with_the_browser_and_after_twelve_hours_at_most(seller):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client = Client()
    response = client.post(LOGIN, {"username": "seller@example.com", "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    # A browser-session cookie (no lifetime), out of scripts' reach.
    assert cookie["expires"] == ""
    assert cookie["max-age"] == ""
    assert cookie["httponly"] is True
    # The server forgets it twelve hours after the last request at most (the
    # database's own expiry, which clearsessions acts on).
    saved = Session.objects.get(session_key=cookie.value)
    assert saved.expire_date <= timezone.now() + timedelta(hours=12)
    assert client.get("/cases/").status_code == 200


# --- error pages ------------------------------------------------------------------


def test_the_404_page_is_friendly(seller_client):
    response = seller_client.get("/cases/1000000000/")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "Back to the case log" in response.text
    assert "Content-Security-Policy" in response.headers


def test_the_403_page_is_friendly(db, client):
    client.force_login(make_user("nobody@example.com"))
    response = client.get("/cases/new/")  # a user of no seller account
    assert response.status_code == 403
    assert "You cannot open this page" in response.text


@pytest.mark.parametrize("name", ["400.html", "403.html", "404.html", "500.html"])
def test_error_templates_render_without_a_request(name):
    html = render_to_string(name)
    assert "<script>" not in html
    assert "style=" not in html
    assert "Back to the case log" in html


def test_a_server_error_shows_the_500_page_without_a_trace(seller, monkeypatch):
    from cases import views

    def explode(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(views, "case_log", explode)
    client = Client(raise_request_exception=False)
    client.force_login(seller)
    response = client.get("/cases/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text


# --- request bodies over the limit --------------------------------------------------


@pytest.fixture
def case(account, seller):
    return make_case(account, owner=seller, state=CaseState.ANSWERED)


def test_a_body_over_the_form_limit_is_sent_back_with_a_message(settings, seller_client, case):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = seller_client.post(
        f"/cases/{case.id}/reply/",
        {"body": "x" * 20_000, "submission_id": str(uuid.uuid4())},
        follow=True,
    )
    assert response.redirect_chain == [(f"/cases/{case.id}/", 302)]
    assert "The text you sent is too long, so nothing was saved." in response.text
    assert "files" not in response.text.split("too long")[1].split("</div>")[0]
    assert not Message.objects.exists()


def test_files_beyond_what_a_message_can_hold_are_refused_before_reading(
    settings, seller_client, case
):
    settings.CASELOG_MAX_ATTACHMENT_MB = 1
    big = pdf()
    big.file.write(b"0" * (7 * 1024 * 1024))  # more than 3 files of 1 MiB and the fields
    big.file.seek(0)
    big.size = big.file.getbuffer().nbytes
    response = seller_client.post(
        "/cases/new/", {"subject": "Big", "body": "Big file", "attachments": [big]}, follow=True
    )
    assert response.redirect_chain == [("/cases/new/", 302)]
    assert "The files you sent are too large together, so nothing was saved." in response.text
    assert not Message.objects.exists()


def test_too_many_files_say_so_not_that_they_are_too_large(settings, seller_client, case):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 4
    data = {"body": "Files", "attachments": [pdf(f"f{i}.pdf") for i in range(5)]}
    response = seller_client.post(f"/cases/{case.id}/reply/", data, follow=True)
    assert response.redirect_chain == [(f"/cases/{case.id}/", 302)]
    assert "You sent more files than a message can carry" in response.text
    assert "Attach at most 3 files." in response.text
    assert "too large" not in response.text
    assert not Message.objects.exists()


def test_too_many_fields_say_so_not_that_they_are_too_large(settings, seller_client, case):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    data = {"body": "Fields", **{f"extra{i}": "x" for i in range(20)}}
    response = seller_client.post(f"/cases/{case.id}/reply/", data, follow=True)
    assert response.redirect_chain == [(f"/cases/{case.id}/", 302)]
    assert "The form sent more fields than this site accepts" in response.text
    assert "too large" not in response.text
    assert not Message.objects.exists()


def test_an_anonymous_over_size_post_gets_the_error_page(settings, client):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    response = client.post("/accounts/login/", {"username": "x" * 5_000, "password": "y"})
    assert response.status_code == 413
    assert "The text you sent is too long, so nothing was saved." in response.text


# --- downloads ----------------------------------------------------------------------


def test_attachment_downloads_carry_the_security_headers(seller, seller_client, case):
    message = message_post(
        case=case,
        author=seller,
        direction=Message.Direction.FROM_SELLER,
        body="File",
        files=[pdf("<script>alert(1)</script>.pdf")],
    )
    attachment = message.attachments.get()
    response = seller_client.get(f"/attachments/{attachment.token}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Frame-Options"] == "DENY"


# --- caching of private pages (issue #23.7) ---------------------------------------


def _no_store(response) -> bool:
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


def test_every_page_for_a_signed_in_user_is_private_and_not_stored(
    seller, seller_client, agent_client, case, account
):
    pages = [
        "/cases/",
        f"/cases/{case.id}/",
        f"/cases/{case.id}/edit/",
        "/cases/similar/?subject=refund",
        "/cases/export.csv",
        f"/team/{account.id}/",
        "/accounts/profile/",
        "/cases/9999999999/",  # a 404 is private too
    ]
    for page in pages:
        response = seller_client.get(page)
        assert response.status_code in (200, 404), page
        assert _no_store(response), (page, response.get("Cache-Control"))
    assert _no_store(agent_client.get("/admin/"))


def test_the_language_cookie_is_httponly_samesite_and_secure_in_production(seller_client, settings):
    """Issue #23.8: the scanners found django_language without the session cookie's flags."""
    settings.LANGUAGE_COOKIE_SECURE = True  # what DEBUG off sets (test above)
    for response in (
        seller_client.post("/i18n/setlang/", {"language": "fr", "next": "/cases/"}),
        seller_client.post("/accounts/profile/", {"language": "en", "time_zone": ""}),
    ):
        cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
        assert cookie["secure"] is True


def _multipart_reply(client: Client, case, file_name: str):
    """A reply posted as a browser would, with `file_name` as typed (the test client
    would shorten it)."""
    boundary = "caselogBoundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="body"\r\n\r\nSee file\r\n'
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="attachments"; filename="{file_name}"\r\n'
        f"Content-Type: text/plain\r\n\r\nOrder 123\r\n--{boundary}--\r\n"
    ).encode()
    return client.post(
        f"/cases/{case.id}/reply/",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
        follow=True,
    )


@pytest.mark.parametrize("file_name", ["a" * 4_000 + ".txt", "é" * 600 + ".txt"])
def test_a_file_name_over_the_parts_header_limit_says_why(seller_client, case, file_name):
    """Issue 23.5: Django refuses a part whose headers pass 1 KB (MultiPartParserError);
    the seller got a bare 400 page. They get the form again, with the reason."""
    response = _multipart_reply(seller_client, case, file_name)
    assert response.redirect_chain == [(f"/cases/{case.id}/", 302)]
    assert "a file name is too long" in response.text
    assert "at most 255 characters" in response.text
    assert not Message.objects.exists()


def test_a_damaged_form_without_a_form_page_gets_the_reason_on_the_400_page(client):
    boundary = "b"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="username"; '
        f'filename="{"x" * 2_000}"\r\n\r\nx\r\n--{boundary}--\r\n'
    ).encode()
    response = client.generic(
        "POST",
        "/accounts/login/",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    assert "a file name is too long" in response.text


def test_a_long_file_name_under_the_header_limit_is_kept_to_255_characters(seller_client, case):
    """Django shortens a longer name to 255 characters, its extension kept; the rules
    accept that (MAX_NAME_LENGTH) and refuse anything longer that skips the parser."""
    from correspondence.models import Attachment

    response = _multipart_reply(seller_client, case, "a" * 600 + ".txt")
    assert response.redirect_chain == [(f"/cases/{case.id}/#sent", 302)]  # the sent message
    (attachment,) = Attachment.objects.all()
    assert len(attachment.original_name) == 255
    assert attachment.original_name.endswith(".txt")
