"""Hostile input: no value of any GET parameter or form field gives a server error,
markup is escaped on every page, and nothing reaches an e-mail header.

Property-based (hypothesis) over the log and export parameters and the fields of
the new-case, reply and edit forms; then explicit XSS, header-injection and
file-name cases. (Formula cells in the CSV: tests/cases/test_export.py.)
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import CaseState
from correspondence.models import Attachment, Message
from tests.conftest import make_case
from tests.correspondence.conftest import PDF, pdf

# Derandomized: the same examples on every run, so CI is never red by luck; no
# example database is written into the work tree.
FAST = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LOG_PARAMETERS = ["q", "state", "created_from", "created_to", "email", "mine", "o", "page"]
LOG_PARAMETERS += ["per_page", "related", "x"]

# Text with the characters that break naive code: NUL, other controls, surrogates
# are impossible in UTF-8 forms, so everything else in Unicode, plus long strings.
hostile_text = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "\x00",
            "-1",
            "0",
            "99999999999999999999999",
            "2026-02-30",
            "9998-12-31",
            "0002-01-01",
            "-created",
            "--id",
            "?",
            "%",
            "%00",
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            "a" * 5000,
            "１２３",
            "\u202e",
            "²",
            "12³",
            "①②",
            "¼",
            "Ⅻ",
            "١٢٣٤",
            "𝟙𝟚𝟛",
        ]
    ),
)
# Every Unicode category (surrogates cannot travel in UTF-8), with the digits that
# are not 0-9 made frequent: superscripts, circled and fractions (No), Roman
# numerals (Nl), and the decimal digits of other scripts (Nd).
any_category_text = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.characters(categories=["Nd", "No", "Nl"]),
        st.characters(categories=["Nd", "No", "Nl"]).map(lambda digit: f"12{digit}"),
        st.just(" "),
    ),
    max_size=12,
).map("".join)


@pytest.fixture
def case(account, seller):
    return make_case(account, owner=seller, state=CaseState.ANSWERED)


def statuses_for(*values: object) -> set[int]:
    """What a page may answer hostile values: 200 or 302 — or 400 when one of them (a
    key or a value, however nested) holds a NUL, which the site refuses before any
    view (tests/security/test_odd_values.py)."""

    def texts(value: object) -> list[str]:
        if isinstance(value, dict):
            return [t for k, v in value.items() for t in [*texts(k), *texts(v)]]
        if isinstance(value, list | tuple):
            return [t for v in value for t in texts(v)]
        return [value] if isinstance(value, str) else []

    return {400} if any("\x00" in text for text in texts(values)) else {200, 302}


@FAST
@given(params=st.dictionaries(st.sampled_from(LOG_PARAMETERS), st.lists(hostile_text, max_size=3)))
def test_no_log_or_export_parameter_gives_a_server_error(params, seller_client, case):
    for path in ["/cases/", "/cases/export.csv", "/cases/new/"]:
        response = seller_client.get(path, params)
        assert response.status_code in statuses_for(params), (path, params)
        if response.streaming:
            b"".join(response.streaming_content)


@pytest.mark.parametrize("q", ["²", "12³", "¹²³⁴", "①", "½", "Ⅻ", "٣٣", "𝟙𝟚", "x² 7"])
@pytest.mark.parametrize("path", ["/cases/", "/cases/export.csv"])
def test_a_search_for_digits_that_are_not_0_to_9_is_no_server_error(path, q, seller, case):
    client = Client(raise_request_exception=False)
    client.force_login(seller)
    response = client.get(path, {"q": q})
    assert response.status_code in {200, 302}


def test_a_case_id_typed_in_another_script_s_digits_finds_the_case(seller_client, case):
    arabic_indic = str(case.id).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    response = seller_client.get("/cases/", {"q": arabic_indic})
    assert str(case.id) in response.text


@FAST
@given(q=st.one_of(hostile_text, any_category_text))
def test_no_search_text_of_any_unicode_category_gives_a_server_error(q, seller, case):
    client = Client(raise_request_exception=False)
    client.force_login(seller)
    for path in ["/cases/", "/cases/export.csv", "/cases/similar/"]:
        params = {"subject": q} if path == "/cases/similar/" else {"q": q}
        response = client.get(path, params)
        assert response.status_code in statuses_for(q), (path, q)
        if response.streaming:
            b"".join(response.streaming_content)


@pytest.mark.parametrize(
    "query",
    ["created_to=9999-12-31", "created_from=0001-01-01", "created_from=9999-12-31"],
)
@pytest.mark.parametrize("path", ["/cases/", "/cases/export.csv"])
def test_extreme_dates_do_not_give_a_server_error(path, query, seller, case):
    client = Client(raise_request_exception=False)
    client.force_login(seller)
    assert client.get(f"{path}?{query}").status_code in {200, 302}


@FAST
@given(
    subject=hostile_text,
    body=hostile_text,
    file_name=hostile_text,
    content=st.binary(max_size=64),
    submission=st.one_of(st.just(""), hostile_text, st.uuids().map(str)),
)
def test_no_new_case_input_gives_a_server_error(
    subject, body, file_name, content, submission, seller_client
):
    data = {"subject": subject, "body": body, "submission_id": submission}
    if file_name:
        data["attachments"] = [SimpleUploadedFile(file_name, content)]
    response = seller_client.post("/cases/new/", data)
    assert response.status_code in statuses_for(subject, body, submission)


@FAST
@given(
    subject=hostile_text,
    body=hostile_text,
    file_name=hostile_text,
    content=st.binary(max_size=64),
    submission=st.one_of(st.just(""), hostile_text, st.uuids().map(str)),
)
def test_no_reply_input_gives_a_server_error(
    subject, body, file_name, content, submission, seller_client, case
):
    data = {"subject": subject, "body": body, "submission_id": submission}
    if file_name:
        data["attachments"] = [SimpleUploadedFile(file_name, content)]
    response = seller_client.post(f"/cases/{case.id}/reply/", data)
    assert response.status_code in statuses_for(subject, body, submission)


@FAST
@given(
    primary_email=st.one_of(hostile_text, st.just("seller@example.com")),
    cc_list=st.one_of(hostile_text, st.lists(st.emails(), max_size=12).map("\n".join)),
    short_description=hostile_text,
    version=st.one_of(hostile_text, st.integers().map(str)),
)
def test_no_edit_input_gives_a_server_error(
    primary_email, cc_list, short_description, version, seller_client, case
):
    data = {
        "primary_email": primary_email,
        "cc_list": cc_list,
        "short_description": short_description,
        "version": version,
    }
    response = seller_client.post(f"/cases/{case.id}/edit/", data)
    assert response.status_code in statuses_for(data)


# --- markup is escaped everywhere -------------------------------------------------

XSS = '<script>alert("xss")</script>'
XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_FILE = f"{XSS_IMG}.pdf"  # a file name cannot hold the "/" of </script>


@pytest.fixture
def poisoned(seller_client, seller, django_capture_on_commit_callbacks, settings):
    """A case whose description, message subject, body and file name are all markup."""
    settings.CASELOG_SUPPORT_EMAIL = "inbox@support.example"
    with django_capture_on_commit_callbacks(execute=True):
        response = seller_client.post(
            "/cases/new/",
            {
                "subject": f"Refund {XSS}",
                "body": f"Body {XSS} {XSS_IMG}",
                "attachments": [SimpleUploadedFile(XSS_FILE, PDF)],
                "submission_id": str(uuid.uuid4()),
            },
        )
    assert response.status_code == 302
    message = Message.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        seller_client.post(
            f"/cases/{message.case_id}/reply/",
            {"subject": XSS, "body": XSS, "submission_id": str(uuid.uuid4())},
        )
    return message.case


def assert_escaped(html: str) -> None:
    assert XSS not in html
    assert XSS_IMG not in html
    # The poisoned subject is on every page, as text (quotes escaped either way).
    assert re.search(r"&lt;script&gt;alert\((&quot;|&#34;)xss(&quot;|&#34;)\)&lt;/script&gt;", html)


def test_markup_is_escaped_on_the_seller_pages(poisoned, seller_client):
    for path in ["/cases/", f"/cases/{poisoned.id}/", f"/cases/{poisoned.id}/edit/"]:
        response = seller_client.get(path)
        assert response.status_code == 200
        assert_escaped(response.text)
    page = seller_client.get(f"/cases/{poisoned.id}/").text
    assert "&lt;img src=x onerror=alert(1)&gt;.pdf" in page  # the file name, as text


def test_markup_is_escaped_in_the_admin(poisoned, support_agent):
    client = Client()
    client.force_login(support_agent)
    for path in [
        "/admin/cases/case/",
        f"/admin/cases/case/?q={poisoned.id}",
        f"/admin/cases/case/{poisoned.id}/change/",
        f"/admin/cases/case/{poisoned.id}/reply/",
        f"/admin/cases/case/{poisoned.id}/transfer/",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_escaped(response.text)


def test_notification_mails_are_plain_text_with_clean_headers(poisoned):
    assert len(mail.outbox) == 2
    for sent in mail.outbox:
        # Plain text only: no HTML part, so markup in a message is shown, never run.
        assert sent.content_subtype == "plain"
        assert not getattr(sent, "alternatives", [])
        assert "\n" not in sent.subject
        assert "\r" not in sent.subject
        assert sent.message()["Bcc"] is None


def test_markup_in_the_cc_list_is_refused_with_an_escaped_error(seller_client, case):
    response = seller_client.post(
        f"/cases/{case.id}/edit/",
        {
            "primary_email": "seller@example.com",
            "cc_list": f"{XSS_IMG}@example.com",
            "short_description": "Fine",
            "version": case.version,
        },
    )
    assert response.status_code == 200
    assert XSS_IMG not in response.text
    case.refresh_from_db()
    assert case.cc_list == []


# --- e-mail header injection ----------------------------------------------------------


def test_a_cc_with_a_line_break_cannot_add_a_header(seller_client, case):
    response = seller_client.post(
        f"/cases/{case.id}/edit/",
        {
            "primary_email": "seller@example.com",
            "cc_list": "boss@example.com\r\nBcc: victim@example.net",
            "short_description": "Fine",
            "version": case.version,
        },
    )
    case.refresh_from_db()
    # Refused, with the reason, and nothing saved: no header can ride on the list.
    assert response.status_code == 200
    assert "“Bcc:” is not a valid e-mail address." in response.text
    assert case.cc_list == []


def test_a_subject_with_a_line_break_cannot_add_a_header(
    seller_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        seller_client.post(
            "/cases/new/",
            {
                "subject": "Refund\r\nBcc: victim@example.net",
                "body": "Hello",
                "submission_id": str(uuid.uuid4()),
            },
        )
    (sent,) = mail.outbox
    assert "\n" not in sent.subject
    assert "\r" not in sent.subject
    assert sent.message()["Bcc"] is None
    assert sent.bcc == []
    assert "victim@example.net" not in sent.recipients()


# --- file names and sizes ---------------------------------------------------------------


def test_a_unicode_file_name_is_kept_and_downloads(seller_client, case):
    name = "facture-été-日本語-😀.pdf"
    response = seller_client.post(
        f"/cases/{case.id}/reply/",
        {"body": "See file", "attachments": [pdf(name)], "submission_id": str(uuid.uuid4())},
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.original_name == name
    download = seller_client.get(f"/attachments/{attachment.token}/")
    assert download.status_code == 200
    assert "filename*=utf-8''facture-%C3%A9t%C3%A9" in download["Content-Disposition"]


def test_a_300_character_file_name_is_shortened_keeping_its_extension(seller_client, case, on_disk):
    """Django's upload handling cuts a name to 255 characters, extension kept."""
    response = seller_client.post(
        f"/cases/{case.id}/reply/",
        {
            "body": "Long name",
            "attachments": [pdf("é" * 296 + ".pdf")],
            "submission_id": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.original_name == "é" * 251 + ".pdf"
    assert len(on_disk()) == 1
    download = seller_client.get(f"/attachments/{attachment.token}/")
    assert download.status_code == 200
    assert download["Content-Disposition"].endswith(".pdf")


def test_a_zero_byte_file_is_refused_clearly(seller_client, on_disk):
    response = seller_client.post(
        "/cases/new/",
        {
            "subject": "Empty",
            "body": "Empty file",
            "attachments": [SimpleUploadedFile("empty.png", b"")],
            "submission_id": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 200
    assert "“empty.png” is empty" in response.text
    assert not Message.objects.exists()
    assert on_disk() == []
