"""Faults while a message is saved or a page is served: nothing partial, a clear message.

Storage failing on the second file, a full disk, the database failing after the
files were written, a client leaving mid-export, the SQLite write lock held by
another connection, the mail server down. (A failed Attachment insert is covered
in tests/correspondence/test_reply.py.)
"""

from __future__ import annotations

import errno
import logging
import uuid

import pytest
from django.core import mail
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.signals import request_finished
from django.db import OperationalError, close_old_connections, connection, transaction

from cases.models import CaseState
from correspondence.models import Attachment, Message
from correspondence.services import messages
from tests.conftest import make_case
from tests.correspondence.conftest import pdf, png, text

BODY = "The payout of 12 March is missing: please check — merci."


@pytest.fixture
def case(account, seller):
    return make_case(account, owner=seller, state=CaseState.ANSWERED)


def post_reply(client, case, files=(), body=BODY):
    data = {"body": body, "subject": "Payout", "submission_id": str(uuid.uuid4())}
    if files:
        data["attachments"] = list(files)
    return client.post(f"/cases/{case.id}/reply/", data)


def assert_nothing_saved(case, on_disk, state=CaseState.ANSWERED) -> None:
    assert Message.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert on_disk() == []
    case.refresh_from_db()
    assert case.state == state
    assert case.history.count() == 0


def assert_clear_failure(response) -> None:
    assert response.status_code == 200
    assert "could not be saved, so nothing was sent" in response.text
    assert BODY in response.text  # the seller's text is still in the form
    assert "Traceback" not in response.text


SAVE = "django.core.files.storage.FileSystemStorage.save"


def test_storage_failing_on_the_second_of_three_files_leaves_nothing(
    monkeypatch, seller_client, case, on_disk, caplog
):
    real_save = FileSystemStorage.save
    calls = []

    def save_then_fail(self, name, content, **kwargs):
        calls.append(name)
        if len(calls) == 2:
            raise OSError(errno.EIO, "storage unavailable")
        return real_save(self, name, content, **kwargs)

    monkeypatch.setattr(SAVE, save_then_fail)
    with caplog.at_level(logging.ERROR):
        response = post_reply(seller_client, case, [pdf(), png(), text()])

    assert len(calls) == 2
    assert_clear_failure(response)
    assert_nothing_saved(case, on_disk)
    assert "Could not save a message" in caplog.text  # logged for the operator


def test_a_full_disk_half_way_through_a_file_leaves_no_partial_file(
    monkeypatch, seller_client, case, on_disk
):
    """ENOSPC while the second file is being written: its partial file is removed too."""
    real_chunks = InMemoryUploadedFile.chunks

    def chunks_until_the_disk_is_full(self, chunk_size=None):
        if self.name != "screenshot.png":
            yield from real_chunks(self, chunk_size)
            return
        yield b"\x89PNG\r\n\x1a\n"  # reaches the disk
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(InMemoryUploadedFile, "chunks", chunks_until_the_disk_is_full)
    response = post_reply(seller_client, case, [pdf(), png(), text()])

    assert_clear_failure(response)
    assert_nothing_saved(case, on_disk)


def test_a_full_disk_on_the_first_file_leaves_nothing(monkeypatch, seller_client, case, on_disk):
    def disk_full(self, name, content, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(SAVE, disk_full)
    response = post_reply(seller_client, case, [pdf()])

    assert_clear_failure(response)
    assert_nothing_saved(case, on_disk)


def test_the_database_failing_after_the_files_were_written_leaves_nothing(
    monkeypatch, seller_client, case, on_disk
):
    """Every file is on disk, then the state change fails in the database."""

    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(messages, "case_transition", database_gone)
    response = post_reply(seller_client, case, [pdf(), png(), text()])

    assert_clear_failure(response)
    assert_nothing_saved(case, on_disk)


def test_a_new_case_on_a_full_disk_opens_nothing(monkeypatch, seller_client, on_disk):
    def disk_full(self, name, content, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(SAVE, disk_full)
    response = seller_client.post(
        "/cases/new/",
        {"subject": "Payout missing", "body": BODY, "attachments": [pdf()]},
    )

    assert response.status_code == 200
    assert "could not be saved" in response.text
    assert BODY in response.text
    assert Message.objects.count() == 0
    assert on_disk() == []
    from cases.access import cases_visible_to

    assert not cases_visible_to(response.wsgi_request.user).exists()


def test_a_database_locked_error_is_a_clear_message_not_a_500(
    monkeypatch, seller_client, case, on_disk
):
    """The write lock could not be had within the timeout (SQLite): nothing saved, say so."""
    real_atomic = transaction.atomic
    state = {"calls": 0}

    class LockedAtomic:
        def __init__(self, *args, **kwargs):
            self.inner = real_atomic(*args, **kwargs)

        def __enter__(self):
            state["calls"] += 1
            raise OperationalError("database is locked")

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(messages.transaction, "atomic", LockedAtomic)
    response = post_reply(seller_client, case, [pdf()])

    assert state["calls"] == 1
    assert_clear_failure(response)
    assert_nothing_saved(case, on_disk)


def test_a_client_leaving_mid_export_breaks_nothing(rf, seller_client, account, seller):
    from cases.views import case_export

    for _ in range(3):
        make_case(account, owner=seller)
    request = rf.get("/cases/export.csv")
    request.user = seller
    response = case_export(request)  # the view's own response, as the WSGI server gets it
    assert response.status_code == 200
    assert response.streaming
    chunks = iter(response.streaming_content)
    assert next(chunks).startswith(b"\xef\xbb\xbf")  # the header row, then the client leaves
    # The WSGI server stops iterating and closes the response. (Django would then
    # close old connections; the test keeps its own, which holds the test transaction.)
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)

    # The connection is usable and the next request works.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    again = seller_client.get("/cases/")
    assert again.status_code == 200


# --- the mail server is down ---------------------------------------------------
# Delivery itself (retries, exactly once, a slow server) is in tests/background/.


@pytest.fixture
def mail_server_down(monkeypatch):
    def refuse(self, messages):
        raise ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)


def test_mail_server_down_keeps_the_message_and_reports_the_undelivered_mail(
    mail_server_down, seller_client, case, caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = post_reply(seller_client, case)

    assert response.status_code == 302
    assert Message.objects.filter(case=case, body=BODY).exists()
    assert "E-mail undelivered" in caplog.text
    assert "Connection refused" in caplog.text
    assert mail.outbox == []


def test_mail_queue_failing_keeps_the_message(
    monkeypatch, seller_client, case, caplog, django_capture_on_commit_callbacks
):
    def queue_down(*args, **kwargs):
        raise OperationalError("the task queue is unreachable")

    monkeypatch.setattr("background.mail.QueuedEmailBackend.send_messages", queue_down)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = post_reply(seller_client, case)

    assert response.status_code == 302
    assert Message.objects.filter(case=case, body=BODY).exists()
    assert "Could not queue the notification" in caplog.text


def test_mail_server_down_for_an_agent_action_still_applies_it(
    mail_server_down, support_agent, account, seller, django_capture_on_commit_callbacks
):
    from django.test import Client

    case = make_case(account, owner=seller, state=CaseState.ANSWERED)
    client = Client()
    client.force_login(support_agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/cases/case/{case.id}/act/resolved/")

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED
