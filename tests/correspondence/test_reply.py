"""Replying on the case page: POST /cases/<id>/reply/ with up to 3 files."""

from __future__ import annotations

import re
import uuid

import pytest
from django.core import mail
from django.db import IntegrityError

from cases.models import CaseHistory, CaseState
from correspondence import services
from correspondence.models import Attachment, Message
from correspondence.services import messages
from tests.conftest import make_case
from tests.correspondence.conftest import GIF, HTML, JPEG, PDF, pdf, png, text, upload

BODY = "Bonjour, the refund for order 402-1234 is still missing — voir pièce jointe."


def reply_url(case) -> str:
    return f"/cases/{case.id}/reply/"


def post_reply(client, case, files=(), body=BODY, **extra):
    data = {"body": body, "subject": "Refund", "submission_id": str(uuid.uuid4()), **extra}
    if files:
        data["attachments"] = list(files)
    return client.post(reply_url(case), data)


@pytest.fixture
def case(account, seller):
    return make_case(account, owner=seller, state=CaseState.ANSWERED)


def assert_nothing_saved(on_disk) -> None:
    assert Message.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert on_disk() == []


def test_it_shows_the_reply_form(seller_client, case):
    response = seller_client.get(f"/cases/{case.id}/")
    assert response.status_code == 200
    assert f'action="/cases/{case.id}/reply/' in response.text
    assert 'name="submission_id"' in response.text
    assert 'enctype="multipart/form-data"' in response.text
    assert re.search(r'<input[^>]+name="attachments"[^>]+multiple', response.text)


@pytest.mark.parametrize("count", [0, 1, 2, 3])
def test_it_posts_a_reply_with_up_to_three_files(
    count, seller_client, colleague_client, case, on_disk
):
    files = [pdf("facture-été.pdf"), png("écran.png"), text("notes.txt")][:count]
    response = post_reply(seller_client, case, files)

    assert response.status_code == 302
    # The page opens on the notice, just above the sent message (issue 22, item 1).
    assert response["Location"] == f"/cases/{case.id}/#sent"
    message = Message.objects.get()
    assert message.body == BODY
    assert message.subject == "Refund"
    assert message.direction == Message.Direction.FROM_SELLER
    assert message.recipients == [case.primary_email]
    assert message.attachments.count() == count
    assert len(on_disk()) == count
    case.refresh_from_db()
    assert case.state == CaseState.PENDING_SUPPORT

    page = colleague_client.get(f"/cases/{case.id}/")
    assert "Your message was sent" not in page.text  # the flash went to the sender
    for attachment in message.attachments.all():
        assert attachment.original_name in page.text
        download = colleague_client.get(attachment.get_absolute_url())
        assert download.status_code == 200
        assert download["Content-Disposition"].startswith("attachment")
        assert download["X-Content-Type-Options"] == "nosniff"
        assert b"".join(download.streaming_content) == attachment.file.open("rb").read()


def test_the_stored_file_carries_no_part_of_the_user_name(seller_client, case, on_disk):
    post_reply(seller_client, case, [pdf("secret-report.pdf")])
    (stored,) = on_disk()
    assert "secret" not in str(stored)
    assert stored.read_bytes() == PDF
    attachment = Attachment.objects.get()
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(PDF)


def test_it_accepts_every_type_on_the_allow_list(seller_client, case, on_disk):
    files = [upload("photo.JPG", JPEG), upload("anim.gif", GIF), text("data.csv", b"a;b\n1;2\n")]
    assert post_reply(seller_client, case, files).status_code == 302
    types = set(Attachment.objects.values_list("content_type", flat=True))
    assert types == {"image/jpeg", "image/gif", "text/csv"}


def test_it_moves_the_case_and_records_the_history(seller_client, case):
    post_reply(seller_client, case)
    row = CaseHistory.objects.get(case=case, field=CaseHistory.Field.STATE)
    assert (row.old_value, row.new_value) == (CaseState.ANSWERED, CaseState.PENDING_SUPPORT)
    page = seller_client.get(f"/cases/{case.id}/")
    assert "Pending support action" in page.text


@pytest.mark.parametrize(
    ("files", "error"),
    [
        pytest.param(
            lambda: [pdf("a.pdf"), pdf("b.pdf"), pdf("c.pdf"), pdf("d.pdf")],
            "at most 3 files",
            id="fourth-file",
        ),
        pytest.param(
            lambda: [upload("setup.exe", b"MZ\x90\x00" + b"\x00" * 60)],
            "this type of file is not accepted",
            id="exe",
        ),
        pytest.param(
            lambda: [upload("cute-cat.png", HTML, "image/png")],
            "does not contain what its name says",
            id="html-renamed-png",
        ),
        pytest.param(
            lambda: [text("notes.txt", b"  <html><body>hi</body></html>")],
            "does not contain what its name says",
            id="html-renamed-txt",
        ),
        pytest.param(lambda: [upload("empty.pdf", b"")], "is empty", id="empty"),
        pytest.param(
            lambda: [pdf("good.pdf"), upload("bad.docx", b"PK\x03\x04 not a zip")],
            "does not contain what its name says",
            id="fake-docx-beside-a-good-file",
        ),
    ],
)
def test_it_rejects_a_bad_file(files, error, seller_client, case, on_disk):
    response = post_reply(seller_client, case, files())

    assert response.status_code == 200
    assert error in response.text.replace("&#x27;", "'")
    assert BODY in response.text  # the typed text is kept
    assert_nothing_saved(on_disk)
    case.refresh_from_db()
    assert case.state == CaseState.ANSWERED


def test_it_rejects_an_oversize_file(settings, seller_client, case, on_disk):
    settings.CASELOG_MAX_ATTACHMENT_MB = 1
    big = upload("scan.pdf", PDF + b"0" * int(1.1 * 1024 * 1024))

    response = post_reply(seller_client, case, [big])

    assert response.status_code == 200
    assert "each file may be at most 1.0" in response.text
    assert BODY in response.text
    assert_nothing_saved(on_disk)


def test_a_file_one_byte_over_the_limit_is_not_said_to_be_the_limit(
    settings, seller_client, case, on_disk
):
    settings.CASELOG_MAX_ATTACHMENT_MB = 10
    big = upload("scan.pdf", PDF + b"0" * (10 * 1024 * 1024 + 1 - len(PDF)))

    response = post_reply(seller_client, case, [big])

    assert response.status_code == 200
    text = response.text.replace("\xa0", " ")
    assert "“scan.pdf” is larger than the limit: each file may be at most 10.0 MB." in text
    assert "is 10.0 MB" not in text
    assert_nothing_saved(on_disk)


def test_it_requires_a_body_and_keeps_the_files_out(seller_client, case, on_disk):
    response = post_reply(seller_client, case, [pdf()], body="   ")
    assert response.status_code == 200
    assert "This field is required" in response.text
    assert_nothing_saved(on_disk)


def test_a_path_in_the_file_name_never_reaches_the_disk(seller_client, case, on_disk):
    # Browsers send a bare name, but a hand-made request can send a path: Django's
    # parser keeps only the last part, and the file is stored under a random name.
    boundary = "BoUnDaRy"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="body"\r\n\r\n'
        f"{BODY}\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="attachments"; filename="../../etc/passwd.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
        "root:x:0:0\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    response = seller_client.post(
        reply_url(case), body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.original_name == "passwd.txt"
    (stored,) = on_disk()
    assert stored.name == attachment.token


def test_an_outsider_cannot_reply(outsider_client, case, on_disk):
    response = post_reply(outsider_client, case, [pdf()])
    assert response.status_code == 404
    assert_nothing_saved(on_disk)


def test_an_anonymous_visitor_is_sent_to_login(client, case):
    response = post_reply(client, case)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert Message.objects.count() == 0


def test_reply_only_accepts_post(seller_client, case):
    assert seller_client.get(reply_url(case)).status_code == 405


def test_an_expired_case_has_no_form_and_refuses_a_reply(account, seller, seller_client):
    expired = make_case(account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=45)

    page = seller_client.get(f"/cases/{expired.id}/")
    assert 'name="submission_id"' not in page.text
    assert "open a new case and quote case ID" in page.text

    response = post_reply(seller_client, expired)
    assert response.status_code == 302
    assert Message.objects.count() == 0
    page = seller_client.get(response["Location"])
    assert "has expired and is read-only" in page.text


def test_a_resolved_case_not_yet_expired_can_be_answered(account, seller, seller_client):
    resolved = make_case(account, owner=seller, state=CaseState.RESOLVED, resolved_days_ago=3)
    assert post_reply(seller_client, resolved).status_code == 302
    resolved.refresh_from_db()
    assert resolved.state == CaseState.PENDING_SUPPORT


def test_sending_the_same_form_twice_creates_one_message(seller_client, case, on_disk):
    data = {"body": BODY, "submission_id": str(uuid.uuid4())}
    first = seller_client.post(reply_url(case), {**data, "attachments": [pdf()]})
    second = seller_client.post(reply_url(case), {**data, "attachments": [pdf()]})

    assert first.status_code == second.status_code == 302
    assert Message.objects.count() == 1
    assert len(on_disk()) == 1
    page = seller_client.get(second["Location"])
    assert "was already sent" in page.text


def test_each_form_gets_a_fresh_token(seller_client, case):
    tokens = {
        re.search(r'name="submission_id" value="([^"]+)"', seller_client.get(url).text).group(1)
        for url in [f"/cases/{case.id}/"] * 2
    }
    assert len(tokens) == 2


def test_a_database_failure_after_files_were_written_leaves_nothing(
    monkeypatch, seller_client, case, on_disk
):
    real_create = Attachment.objects.create
    calls = []

    def create_then_fail(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise IntegrityError("the database refused the insert")
        return real_create(**kwargs)

    monkeypatch.setattr(Attachment.objects, "create", create_then_fail)

    response = post_reply(seller_client, case, [pdf(), png(), text()])

    assert len(calls) == 2  # two files had reached the disk
    assert response.status_code == 200
    assert "could not be saved" in response.text
    assert BODY in response.text
    assert_nothing_saved(on_disk)
    case.refresh_from_db()
    assert case.state == CaseState.ANSWERED


def test_a_failing_transition_after_the_files_leaves_nothing(monkeypatch, seller, case, on_disk):
    def refuse(**kwargs):
        raise RuntimeError("state service down")

    monkeypatch.setattr(messages, "case_transition", refuse)

    with pytest.raises(RuntimeError):
        services.message_post(
            case=case,
            author=seller,
            direction=Message.Direction.FROM_SELLER,
            body=BODY,
            files=[pdf(), png()],
        )
    assert_nothing_saved(on_disk)


def test_support_is_told_only_after_the_commit(
    seller_client, case, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post_reply(seller_client, case)
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    (sent,) = mail.outbox
    assert sent.to == [settings.CASELOG_SUPPORT_EMAIL]
    assert str(case.id) in sent.subject


def test_an_outsider_gets_404_on_the_case_page(outsider_client, case):
    assert outsider_client.get(f"/cases/{case.id}/").status_code == 404
