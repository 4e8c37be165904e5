"""The one place for the rules of a message: its text, and its attachments (how
many, how big, which types).

The reply and contact forms call these for a friendly error and
`correspondence.services` calls them again inside the transaction, so no other
path (admin, shell) can get around them. A file type is accepted only when the
extension is on the allow-list *and* the content looks like that type: a renamed
HTML page is not a PNG.
"""

from __future__ import annotations

import os
import struct
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cases.validators import strip_control_characters
from correspondence.limits import MAX_ATTACHMENTS, MAX_BODY_LENGTH
from correspondence.models import Message

MAX_SUBJECT_LENGTH = Message._meta.get_field("subject").max_length or 200
MAX_NAME_LENGTH = 255
# An Office file holds a few dozen parts. Past these, a zip-based file is refused
# unread (`_office_open_xml`): the bytes of its central directory, and its entries.
MAX_ARCHIVE_ENTRIES = 5_000
MAX_ARCHIVE_DIRECTORY_BYTES = 1024 * 1024
_SNIFF_BYTES = 2048
# What a browser would sniff as HTML/XML even in a file called .txt or .csv.
_MARKUP_PREFIXES = (
    b"<!doctype",
    b"<html",
    b"<head",
    b"<body",
    b"<script",
    b"<iframe",
    b"<svg",
    b"<?xml",
    b"<!--",
    b"<style",
    b"<title",
    b"<table",
    b"<div",
    b"<a ",
    b"<img",
    b"<object",
    b"<embed",
)


def _is_pdf(head: bytes, _file: IO[bytes]) -> bool:
    return head.startswith(b"%PDF-")


def _is_png(head: bytes, _file: IO[bytes]) -> bool:
    return head.startswith(b"\x89PNG\r\n\x1a\n")


def _is_jpeg(head: bytes, _file: IO[bytes]) -> bool:
    return head.startswith(b"\xff\xd8\xff")


def _is_gif(head: bytes, _file: IO[bytes]) -> bool:
    return head.startswith((b"GIF87a", b"GIF89a"))


def _is_ole(head: bytes, _file: IO[bytes]) -> bool:
    # Compound File Binary: the container of legacy .doc and .xls files.
    return head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


def _is_zip(head: bytes, _file: IO[bytes]) -> bool:
    return head.startswith((b"PK\x03\x04", b"PK\x05\x06"))


# A zip's end record (`zipfile` looks for it the same way): its signature, the
# entries and the central directory's size; and the Zip64 locator before it.
_END_RECORD = b"PK\x05\x06"
_END_RECORD_SIZE = 22
_LARGEST_COMMENT = 65_535
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_LOCATOR_SIZE = 20
_ZIP64_RECORD = b"PK\x06\x06"
_ZIP64_RECORD_SIZE = 56


def _archive_directory(file: IO[bytes]) -> tuple[int, int] | None:
    """How many entries a zip declares and its central directory's size in bytes,
    read from its end record alone (no entry is read); None when it has none."""
    file.seek(0, os.SEEK_END)
    size = file.tell()
    tail_size = min(size, _END_RECORD_SIZE + _LARGEST_COMMENT)
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    at = tail.rfind(_END_RECORD)
    if at < 0 or len(tail) - at < _END_RECORD_SIZE:
        return None
    entries, directory_size = struct.unpack("<HI", tail[at + 10 : at + 16])
    record_at = size - tail_size + at
    locator_at = record_at - _ZIP64_LOCATOR_SIZE
    if locator_at >= 0:
        file.seek(locator_at)
        if file.read(4) == _ZIP64_LOCATOR:
            # Zip64: `zipfile` reads the counts from the record just before the locator.
            file.seek(max(locator_at - _ZIP64_RECORD_SIZE, 0))
            record = file.read(_ZIP64_RECORD_SIZE)
            if len(record) < _ZIP64_RECORD_SIZE or not record.startswith(_ZIP64_RECORD):
                return None
            entries, directory_size = struct.unpack("<QQ", record[32:48])
    return entries, directory_size


def _office_open_xml(folder: str) -> Callable[[bytes, IO[bytes]], bool]:
    """An .xlsx/.docx is a zip holding [Content_Types].xml and its `folder`.

    Its entries are listed only after `validate_upload` found few enough
    (`archive_is_small`): listing costs time per entry.
    """

    def check(head: bytes, file: IO[bytes]) -> bool:
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            file.seek(0)
            with zipfile.ZipFile(file) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        finally:
            file.seek(0)
        return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)

    return check


def archive_is_small(file: IO[bytes]) -> bool:
    """Whether a zip-based file declares few enough entries to be listed: at most
    MAX_ARCHIVE_ENTRIES, in a central directory of at most MAX_ARCHIVE_DIRECTORY_BYTES
    (`zipfile` reads the directory by its size). 115,000 empty entries once took
    seconds a file, twice, the second time inside the write's transaction."""
    try:
        directory = _archive_directory(file)
    except OSError:
        return False
    finally:
        file.seek(0)
    if directory is None:
        return True  # no end record: not a zip, which the content check says
    entries, directory_size = directory
    return entries <= MAX_ARCHIVE_ENTRIES and directory_size <= MAX_ARCHIVE_DIRECTORY_BYTES


def _is_text(head: bytes, file: IO[bytes]) -> bool:
    """Plain text: no NUL byte anywhere, and nothing a browser would take for markup."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n\x0c").lower()
    if start.startswith(_MARKUP_PREFIXES):
        return False
    file.seek(0)
    try:
        return all(b"\x00" not in chunk for chunk in iter(lambda: file.read(64 * 1024), b""))
    finally:
        file.seek(0)


@dataclass(frozen=True)
class FileType:
    content_type: str
    label: Any
    looks_right: Callable[[bytes, IO[bytes]], bool]
    archive: bool = False  # zip-based: its entries are counted first (`archive_is_small`)


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

ALLOWED_TYPES: dict[str, FileType] = {
    "pdf": FileType("application/pdf", "PDF", _is_pdf),
    "png": FileType("image/png", "PNG", _is_png),
    "jpg": FileType("image/jpeg", "JPEG", _is_jpeg),
    "jpeg": FileType("image/jpeg", "JPEG", _is_jpeg),
    "gif": FileType("image/gif", "GIF", _is_gif),
    "txt": FileType("text/plain", gettext_lazy("text"), _is_text),
    "csv": FileType("text/csv", "CSV", _is_text),
    "xlsx": FileType(_XLSX, "Excel", _office_open_xml("xl/"), archive=True),
    "xls": FileType("application/vnd.ms-excel", "Excel", _is_ole),
    "docx": FileType(_DOCX, "Word", _office_open_xml("word/"), archive=True),
    "doc": FileType("application/msword", "Word", _is_ole),
    "zip": FileType("application/zip", "ZIP", _is_zip, archive=True),
}
ALLOWED_EXTENSIONS = tuple(ALLOWED_TYPES)


def clean_body(raw: str) -> str:
    """A message's text: no control characters, trimmed, 1 to MAX_BODY_LENGTH characters.

    Line breaks count as one character (CRLF becomes LF), as the browser counts them
    against the text box's `maxlength`.
    """
    body = strip_control_characters(raw).strip()
    if not body:
        raise ValidationError(_("Write a message."), code="required")
    if len(body) > MAX_BODY_LENGTH:
        raise ValidationError(
            _(
                "A message can be at most %(max)s characters long; this one has %(count)s. "
                "Shorten it, or attach the rest as a text file."
            ),
            code="max_length",
            params={
                "max": number_format(MAX_BODY_LENGTH, force_grouping=True),
                "count": number_format(len(body), force_grouping=True),
            },
        )
    return body


def clean_subject(raw: str) -> str:
    """A message's subject: one line, no control characters, at most 200 characters."""
    subject = " ".join(strip_control_characters(raw).split())
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise ValidationError(
            _("A subject can be at most %(max)d characters long; this one has %(count)d."),
            code="max_length",
            params={"max": MAX_SUBJECT_LENGTH, "count": len(subject)},
        )
    return subject


@dataclass(frozen=True)
class CleanUpload:
    """An accepted file: what the service stores about it, and the file.

    The verdict of the one reading of its content (`validate_upload`, in the form's
    validation, before any transaction): given a CleanUpload, the rules check again
    only what costs nothing (count, name, size, type), so the service, inside its
    transaction, never reads a file twice.
    """

    name: str
    size: int
    content_type: str
    file: Any = field(default=None, compare=False, repr=False)


def max_attachment_bytes() -> int:
    return settings.CASELOG_MAX_ATTACHMENT_MB * 1024 * 1024


def allowed_extensions_display() -> str:
    return ", ".join(ALLOWED_EXTENSIONS)


def clean_file_name(raw: str) -> str:
    """The name as the user sent it, kept for display; refuse anything path-like."""
    name = raw or ""
    if (
        not name.strip()
        or os.path.basename(name) != name
        or "/" in name
        or "\\" in name
        or ".." in name
        or any(unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"} for char in name)
    ):
        raise ValidationError(
            _("“%(name)s”: a file name must not contain folders, “..” or control characters."),
            code="bad_name",
            params={"name": name.encode("unicode_escape").decode("ascii")[:80]},
        )
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            _("“%(name)s…”: the file name is too long (at most %(max)d characters)."),
            code="name_too_long",
            params={"name": name[:40], "max": MAX_NAME_LENGTH},
        )
    return name


def _read_head(file: Any) -> bytes:
    file.seek(0)
    try:
        return file.read(_SNIFF_BYTES)
    finally:
        file.seek(0)


def validate_upload(file: Any) -> CleanUpload:
    """Check one uploaded file against every rule; raise a friendly ValidationError.

    A CleanUpload (a file this function accepted before) gets the cheap rules again,
    not the reading of its content.
    """
    checked = isinstance(file, CleanUpload)
    if checked:
        file = file.file
    name = clean_file_name(getattr(file, "name", "") or "")
    size = file.size
    if not size:
        raise ValidationError(_("“%(name)s” is empty."), code="empty", params={"name": name})
    limit = max_attachment_bytes()
    if size > limit:
        raise ValidationError(
            # No size beside the limit: one byte over reads "10.0 MB" like the limit.
            _("“%(name)s” is larger than the limit: each file may be at most %(max)s."),
            code="too_big",
            params={"name": name, "max": filesizeformat(limit)},
        )
    extension = os.path.splitext(name)[1].lower().lstrip(".")
    file_type = ALLOWED_TYPES.get(extension)
    if file_type is None:
        raise ValidationError(
            _("“%(name)s”: this type of file is not accepted. Accepted types: %(types)s."),
            code="bad_type",
            params={"name": name, "types": allowed_extensions_display()},
        )
    if not checked and file_type.archive and not archive_is_small(file):
        raise ValidationError(
            _(
                "“%(name)s” holds too many files or parts to be checked (at most %(max)s). "
                "Split it into smaller archives."
            ),
            code="too_many_entries",
            params={"name": name, "max": number_format(MAX_ARCHIVE_ENTRIES, force_grouping=True)},
        )
    if not checked and not file_type.looks_right(_read_head(file), file):
        raise ValidationError(
            _(
                "“%(name)s” does not contain what its name says (a %(label)s file). "
                "Check the file and attach it again."
            ),
            code="bad_content",
            params={"name": name, "label": file_type.label},
        )
    return CleanUpload(name=name, size=size, content_type=file_type.content_type, file=file)


def validate_upload_count(count: int) -> None:
    """At most MAX_ATTACHMENTS files to a message."""
    if count > MAX_ATTACHMENTS:
        raise ValidationError(
            ngettext(
                "You can attach at most %(max)d file to a message; you selected %(count)d.",
                "You can attach at most %(max)d files to a message; you selected %(count)d.",
                MAX_ATTACHMENTS,
            ),
            code="too_many",
            params={"max": MAX_ATTACHMENTS, "count": count},
        )


def validate_uploads(files: Sequence[Any]) -> list[CleanUpload]:
    """Check the count, then every file; report every problem at once."""
    validate_upload_count(len(files))
    cleaned: list[CleanUpload] = []
    errors: list[ValidationError] = []
    for file in files:
        try:
            cleaned.append(validate_upload(file))
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise ValidationError(errors)
    return cleaned
