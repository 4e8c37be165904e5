"""Files in storage: where attachments are stored, their removal when a write
fails, and uploads held between two requests, of both kinds (signed tokens for a
reply stopped by CaseChangedError: `uploads_*`; the contact form's `HeldFile`
rows: `held_files_*`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from cases.models import Case, User
from correspondence.limits import MAX_ATTACHMENTS, ORPHAN_MIN_AGE
from correspondence.models import Attachment, HeldFile, attachment_path, held_path, new_token
from correspondence.rules import CleanUpload, validate_upload


def _storage() -> Storage:
    return Attachment._meta.get_field("file").storage


@contextmanager
def files_removed_on_failure() -> Iterator[list[str]]:
    """A list for the names of the files the block writes to storage; if the block
    fails (an error, a rollback, an interruption), every one of them is deleted.

    Files cannot join the database transaction: put this outside it, so the files
    go whenever the rows do. Note a name before writing its file (a write that
    fails half-way leaves a partial file under it).
    """
    written: list[str] = []
    try:
        yield written
    except BaseException:
        storage = _storage()
        for name in written:
            storage.delete(name)
        raise


# Files held between two requests (`uploads_hold`) are signed for as long as the
# orphan sweep leaves a stored file without a row alone.
HELD_SALT = "correspondence.held-uploads"


def _held_gone() -> ValidationError:
    return ValidationError(
        _("The files chosen before are no longer kept; attach them again."), code="held_gone"
    )


def uploads_hold(files: Sequence[Any]) -> str:
    """Keep accepted files (`CleanUpload`s) on the server until the next request
    (a reply stopped by CaseChangedError): a signed token for a hidden field.

    They are stored where attachments are, under fresh names no row holds: the
    orphan sweep deletes those never sent. `uploads_held` gives them back."""
    storage = _storage()
    held = []
    for upload in files:
        upload.file.seek(0)
        name = attachment_path(Attachment(token=new_token()), upload.name)
        held.append([storage.save(name, upload.file), upload.name])
    return signing.dumps(held, salt=HELD_SALT)


def uploads_held(token: str) -> list[tuple[str, File]]:
    """The files `uploads_hold` kept: (stored name, file under its original name).
    A forged, stale or swept token is a ValidationError (attach them again)."""
    if not token:
        return []
    try:
        held = signing.loads(token, salt=HELD_SALT, max_age=ORPHAN_MIN_AGE)
        storage = _storage()
        return [(stored, File(storage.open(stored), name=name)) for stored, name in held]
    except (signing.BadSignature, FileNotFoundError, ValueError, TypeError):
        raise _held_gone() from None


def uploads_release(held: list[tuple[str, File]]) -> None:
    """Delete held files once sent (their message stored copies of its own)."""
    storage = _storage()
    for stored, file in held:
        file.close()
        storage.delete(stored)


@contextmanager
def _held_uploads(held_files: Sequence[HeldFile]) -> Iterator[list[CleanUpload]]:
    """The held files as accepted uploads (they were checked when held), open while
    the block runs."""
    handles = [held.file.open("rb") for held in held_files]
    try:
        yield [
            CleanUpload(
                name=held.original_name,
                size=held.size,
                content_type=held.content_type,
                file=File(handle, name=held.original_name),
            )
            for held, handle in zip(held_files, handles, strict=True)
        ]
    finally:
        for handle in handles:
            handle.close()


def held_files_add(
    *, user: User, case: Case, files: Sequence[Any]
) -> tuple[list[HeldFile], list[str]]:
    """Hold the files of the contact form's "Add a reply there" for `user`'s reply
    to `case` (a case of theirs: the caller reached it through `cases.access`).

    They replace what the user held for the case. Each file is checked as an
    attachment; the first MAX_ATTACHMENTS accepted are held. Returns the held files
    and the names of the files not held.
    """
    accepted: list[CleanUpload] = []
    refused: list[str] = []
    for file in files:
        try:
            upload = validate_upload(file)
        except ValidationError:
            refused.append(getattr(file, "name", "") or "")
            continue
        if len(accepted) < MAX_ATTACHMENTS:
            accepted.append(upload)
        else:
            refused.append(upload.name)
    storage = _storage()
    with files_removed_on_failure() as written, transaction.atomic():
        _held_files_release(user=user, case_id=case.pk)
        held = []
        for upload in accepted:
            token = new_token()
            name = held_path(HeldFile(token=token), upload.name)
            written.append(name)
            upload.file.seek(0)
            stored = storage.save(name, upload.file)
            if stored != name:
                written.append(stored)
            held.append(
                HeldFile.objects.create(
                    token=token,
                    user=user,
                    case=case,
                    file=stored,
                    original_name=upload.name,
                    size=upload.size,
                    content_type=upload.content_type,
                )
            )
    return held, refused


def _held_files_release(*, user: User, case_id: int) -> int:
    """Delete what `user` held for `case_id`."""
    return _held_rows_delete(HeldFile.objects.filter(user=user, case_id=case_id))


def _held_rows_delete(rows: QuerySet[HeldFile]) -> int:
    """Delete held files: the rows now, the stored files once the transaction commits."""
    names = list(rows.values_list("file", flat=True))
    if not names:
        return 0
    rows.delete()
    storage = _storage()

    def delete_files() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete_files)
    return len(names)


def held_files_expire(*, before: datetime) -> int:
    """Delete the files held since before `before` (abandoned replies); return how many."""
    with transaction.atomic():
        return _held_rows_delete(HeldFile.objects.filter(held_at__lt=before))
