"""The attachment rules, checked by the form and again by the service."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import CaseState
from correspondence.forms import ReplyForm
from correspondence.models import Message
from correspondence.rules import clean_file_name, validate_upload
from correspondence.services import message_post
from tests.conftest import make_case
from tests.correspondence.conftest import OLE, PDF, upload, zip_bytes


def raw_named(name: str, content: bytes = b"hello\n") -> SimpleUploadedFile:
    """An upload whose name skipped Django's parser (shell, admin, another client)."""
    file = SimpleUploadedFile("placeholder.txt", content)
    file._name = name  # bypass UploadedFile's own basename()
    return file


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.txt",
        "..\\..\\boot.ini.txt",
        "/etc/passwd.txt",
        "a/b.txt",
        "evil\x00.txt",
        "report\u202etxt.exe.txt",
        "line\nbreak.txt",
        "..txt",
    ],
)
def test_it_refuses_a_path_like_or_control_name(name):
    with pytest.raises(ValidationError, match="must not contain folders"):
        validate_upload(raw_named(name))


@pytest.mark.parametrize("name", ["Relevé de compte (août).pdf", "日本語の請求書.pdf", "a b.c.pdf"])
def test_it_keeps_a_unicode_name(name):
    assert clean_file_name(name) == name
    assert validate_upload(upload(name, PDF)).name == name


def test_a_name_longer_than_255_is_refused():
    with pytest.raises(ValidationError, match="too long"):
        clean_file_name("a" * 252 + ".pdf")


@pytest.mark.parametrize(
    ("name", "content", "ok"),
    [
        ("sheet.xlsx", zip_bytes(["[Content_Types].xml", "xl/workbook.xml"]), True),
        ("letter.docx", zip_bytes(["[Content_Types].xml", "word/document.xml"]), True),
        ("letter.docx", zip_bytes(["[Content_Types].xml", "xl/workbook.xml"]), False),
        ("sheet.xlsx", zip_bytes(["plain.txt"]), False),
        ("bundle.zip", zip_bytes(["plain.txt"]), True),
        ("bundle.zip", PDF, False),
        ("old.xls", OLE, True),
        ("old.doc", OLE, True),
        ("old.doc", PDF, False),
        ("data.csv", b"name,price\nCaf\xe9,3\n", True),  # latin-1 text is still text
        ("data.csv", b"a,b\x00c", False),
        ("page.txt", b"\xef\xbb\xbf<!DOCTYPE html>", False),
        ("image.svg", b"<svg/>", False),
    ],
)
def test_content_must_match_the_extension(name, content, ok):
    if ok:
        validate_upload(upload(name, content))
    else:
        with pytest.raises(ValidationError):
            validate_upload(upload(name, content))


def test_the_form_refuses_a_path_in_a_name_and_keeps_the_text():
    form = ReplyForm(
        data={"body": "Keep me"}, files={"attachments": [raw_named("../../etc/passwd.txt")]}
    )
    assert not form.is_valid()
    assert "must not contain folders" in str(form.errors["attachments"])
    assert form["body"].value() == "Keep me"


@pytest.fixture
def case(account, seller):
    return make_case(account, owner=seller, state=CaseState.ANSWERED)


def test_the_service_rechecks_every_rule(case, seller, on_disk):
    """The admin or a shell cannot get around the form."""
    too_many = [upload(f"{n}.pdf", PDF) for n in range(4)]
    for files in (too_many, [raw_named("../../etc/passwd.txt")], [upload("x.exe", b"MZ")]):
        with pytest.raises(ValidationError):
            message_post(
                case=case,
                author=seller,
                direction=Message.Direction.FROM_SELLER,
                body="Hi",
                files=files,
            )
    assert not Message.objects.exists()
    assert on_disk() == []


def test_the_service_refuses_an_outsider(case, outsider):
    from django.http import Http404

    with pytest.raises(Http404):
        message_post(case=case, author=outsider, direction="seller", body="Hi")
    assert not Message.objects.exists()


def many_entries(count: int, *, office: str = "") -> bytes:
    """A zip of `count` empty entries (an Office file's two parts first, if `office`)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if office:
            archive.writestr("[Content_Types].xml", "<x/>")
            archive.writestr(f"{office}/workbook.xml", "<x/>")
        for n in range(count):
            archive.writestr(f"e{n}", b"")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "office"), [("sheet.xlsx", "xl"), ("letter.docx", "word"), ("bundle.zip", "")]
)
def test_a_zip_of_too_many_entries_is_refused_unlisted(name, office, monkeypatch):
    """Issue 23.5: 115,000 empty entries took seconds a file, listed twice, once in the
    write's transaction. The end record's count is read; the entries are not."""
    import zipfile

    from correspondence.rules import MAX_ARCHIVE_ENTRIES

    content = many_entries(MAX_ARCHIVE_ENTRIES + 1, office=office)
    listed = []
    monkeypatch.setattr(zipfile.ZipFile, "namelist", lambda self: listed.append(self) or [])
    with pytest.raises(ValidationError, match="too many files or parts"):
        validate_upload(upload(name, content))
    assert listed == []


def test_a_zip_at_the_limit_is_accepted():
    from correspondence.rules import MAX_ARCHIVE_ENTRIES

    content = many_entries(MAX_ARCHIVE_ENTRIES - 2, office="xl")
    assert validate_upload(upload("sheet.xlsx", content)).content_type.endswith(".sheet")


def test_a_reply_reads_its_files_once_and_outside_the_transaction(
    transactional_db, account, seller, on_disk, monkeypatch
):
    """The form reads the content; the service takes its verdict and, inside its
    transaction, checks only what costs nothing."""
    import zipfile

    from django.db import connection
    from django.test import Client

    case = make_case(account, owner=seller, state=CaseState.ANSWERED)
    opened: list[bool] = []
    real_init = zipfile.ZipFile.__init__

    def counting_init(self, *args, **kwargs):
        opened.append(connection.in_atomic_block)
        real_init(self, *args, **kwargs)

    client = Client()
    client.force_login(seller)
    files = [
        upload(f"sheet{n}.xlsx", zip_bytes(["[Content_Types].xml", "xl/workbook.xml"]))
        for n in range(3)
    ]
    monkeypatch.setattr(zipfile.ZipFile, "__init__", counting_init)
    response = client.post(f"/cases/{case.id}/reply/", {"body": "Sheets", "attachments": files})

    assert response.status_code == 302
    assert Message.objects.get().attachments.count() == 3
    assert opened == [False, False, False]
    assert len(on_disk()) == 3
