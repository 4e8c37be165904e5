"""Every write to a case's correspondence goes through a function here.

`message_post` is the one way a message is written, by a seller page or by the
admin: it re-checks the attachment rules inside the transaction, saves the
message and its files all or nothing, and moves the case through
`cases.services.case_transition`. Files are written to storage before the
transaction commits, so any failure deletes every file already written: no
message, no attachment row and no orphan file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.access import get_case_for_support, get_case_for_user
from cases.models import Case, CaseEvent, SellerAccount, User
from cases.notices import case_notify
from cases.search_index import case_search_entries_rebuild, case_search_entry_add
from cases.selectors import case_timer_ids
from cases.services import (
    CaseStateError,
    case_auto_resolve,
    case_claim_reminder,
    case_create,
    case_transition,
    check_member,
)
from correspondence.limits import MAX_ATTACHMENTS
from correspondence.models import (
    Attachment,
    HeldFile,
    Message,
    attachment_path,
    held_path,
    new_token,
)
from correspondence.rules import (
    MAX_SUBJECT_LENGTH,
    CleanUpload,
    clean_body,
    clean_subject,
    validate_upload,
    validate_uploads,
)


class DuplicateSubmissionError(Exception):
    """This form was already sent (double click, resubmit): `message` is what it created."""

    def __init__(self, message: Message) -> None:
        super().__init__("This form was already sent.")
        self.message = message


def _storage() -> Storage:
    return Attachment._meta.get_field("file").storage


def _check_token(client_token: str | None) -> None:
    if client_token:
        earlier = Message.objects.filter(client_token=client_token).first()
        if earlier is not None:
            raise DuplicateSubmissionError(earlier)


def _expired_error(case: Case, event: str) -> CaseStateError:
    return CaseStateError(
        case,
        event,
        _(
            "Case %(id)s has expired and is read-only. To follow up, open a new case "
            "and quote case ID %(id)s."
        )
        % {"id": case.pk},
    )


def _write_message(
    *,
    case: Case,
    author: User,
    direction: str,
    body: str,
    subject: str,
    files: Sequence[Any],
    client_token: str | None,
    written: list[str],
) -> Message:
    """Create the message and its attachments; record each stored name in `written`.

    `files` were checked before the transaction (`CleanUpload`s): here only the
    rules that read no content run again."""
    uploads = validate_uploads(files)
    body = clean_body(body)
    # A reply without a subject says what it answers, as a mail client would.
    subject = clean_subject(subject) or f"RE: {case.short_description}"[:MAX_SUBJECT_LENGTH]
    message = Message.objects.create(
        case=case,
        author=author,
        direction=direction,
        subject=subject,
        body=body,
        recipients=[case.primary_email, *case.cc_list],
        client_token=client_token or None,
    )
    storage = _storage()
    for upload in uploads:
        file = upload.file
        token = new_token()
        file.seek(0)
        name = attachment_path(Attachment(token=token), upload.name)
        # Noted before the write: a write that fails half-way (disk full) leaves a
        # partial file under this name, and the clean-up must remove it too. The
        # name holds a fresh random token, so it is no other message's file.
        written.append(name)
        stored = storage.save(name, file)
        if stored != name:
            written.append(stored)
        Attachment.objects.create(
            message=message,
            token=token,
            file=stored,
            original_name=upload.name,
            size=upload.size,
            content_type=upload.content_type,
        )
    # The search index is written in the message's transaction: a rollback takes
    # both away, a commit makes the message findable at once.
    case_search_entry_add(
        case_id=case.pk,
        message_id=message.pk,
        subject=message.subject,
        body=message.body,
        file_names=[upload.name for upload in uploads],
    )
    return message


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


def _event_for(direction: str, needs_action: bool, not_solved: bool = False) -> str:
    if direction == Message.Direction.FROM_SELLER:
        return CaseEvent.SELLER_NOT_SOLVED if not_solved else CaseEvent.SELLER_REPLIED
    return CaseEvent.SUPPORT_NEEDS_ACTION if needs_action else CaseEvent.SUPPORT_ANSWERED


def message_post(
    *,
    case: Case,
    author: User,
    direction: str,
    body: str,
    subject: str = "",
    files: Sequence[Any] = (),
    needs_action: bool = False,
    not_solved: bool = False,
    client_token: str | None = None,
    held_files: Sequence[HeldFile] = (),
) -> Message:
    """Post a message with up to MAX_ATTACHMENTS files and move the case accordingly.

    `held_files`: files the author's contact form carried here (`held_files_add`),
    attached after `files`. A seller's message ends every file the author held for
    the case, attached or left out: their rows go in this transaction, their
    stored files once it commits.

    `not_solved`: the seller's answer to "Did this solve your problem?" was No and
    this message says why; the case goes back to support, "answer not accepted".

    Raises ValidationError (a rule broken by the input), CaseStateError (expired
    case, or a move the state table refuses) or DuplicateSubmissionError.
    A seller's message reaches its case through `cases.access` (locked, so a
    former member is refused); a support message, from the admin, through the
    support door (locked too).
    Call it outside any enclosing transaction: files written here are only
    cleaned up if this function's own transaction fails (`files_removed_on_failure`).
    """
    direction = Message.Direction(direction)
    if direction == Message.Direction.FROM_SUPPORT and not author.has_perm("cases.act_on_case"):
        # A support message is the admin's; a seller (or view-only staff) never sends one.
        raise PermissionDenied(_("Only Seller Support agents can answer as Seller Support."))
    event = _event_for(direction, needs_action, not_solved)
    if any(held.user_id != author.pk or held.case_id != case.pk for held in held_files):
        raise PermissionDenied("Held files are their author's, for one case.")
    # The files' content is read here (or was, by the form), never inside the
    # transaction: a long check there would hold the write lock (SQLite).
    with _held_uploads(held_files) as held:
        return _message_post(
            case=case,
            author=author,
            direction=direction,
            event=event,
            body=body,
            subject=subject,
            files=validate_uploads([*files, *held]),
            client_token=client_token,
        )


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


def _message_post(
    *,
    case: Case,
    author: User,
    direction: str,
    event: str,
    body: str,
    subject: str,
    files: list[CleanUpload],
    client_token: str | None,
) -> Message:
    try:
        with files_removed_on_failure() as written, transaction.atomic():
            # The case is locked before the token is checked, so the same form sent
            # twice at once queues here and the second one finds the first's token.
            if direction == Message.Direction.FROM_SELLER:
                # Through the one door, locked: the author must still see the case.
                case = get_case_for_user(author, case.pk, for_update=True)
                if case.is_expired:
                    raise _expired_error(case, event)
            else:
                case = get_case_for_support(author, case.pk, for_update=True)
            _check_token(client_token)
            message = _write_message(
                case=case,
                author=author,
                direction=direction,
                body=body,
                subject=subject,
                files=files,
                client_token=client_token,
                written=written,
            )
            if direction == Message.Direction.FROM_SELLER:
                _held_files_release(user=author, case_id=case.pk)
            # The move queues its e-mail (quoting this message) in this transaction.
            case_transition(case=case, event=event, actor=author, message_id=message.pk)
    except IntegrityError:
        # A token sent at once to two cases (no lock in common) races past the
        # check: the first one won.
        _check_token(client_token)
        raise
    return message


def case_open(
    *,
    account: SellerAccount,
    author: User,
    subject: str,
    body: str,
    files: Sequence[Any] = (),
    cc_list: list[str] | None = None,
    client_token: str | None = None,
    related_case: Case | None = None,
) -> Message:
    """Open a case (state `open`, owner `author`) with its first message, all or nothing.

    `related_case`, if given, is a case of the same account this one follows up.
    Only an authorized user of `account` may (PermissionDenied).
    """
    check_member(author, account.pk)
    files = validate_uploads(files)  # before the transaction, as in message_post
    try:
        with files_removed_on_failure() as written, transaction.atomic():
            _check_token(client_token)
            case = case_create(
                account=account,
                opened_by=author,
                short_description=subject,
                cc_list=cc_list,
                related_case=related_case,
            )
            message = _write_message(
                case=case,
                author=author,
                direction=Message.Direction.FROM_SELLER,
                body=body,
                subject=subject,
                files=files,
                client_token=client_token,
                written=written,
            )
            case_notify(event=CaseEvent.SELLER_OPENED, cases=[case], message_id=message.pk)
    except IntegrityError:
        # Two identical submissions raced past the check: the first one won.
        _check_token(client_token)
        raise
    return message


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


@dataclass(frozen=True)
class TimersRun:
    reminded: int
    resolved: int


def case_timers_run(*, now: datetime | None = None) -> TimersRun:
    """The conversation's clocks (`manage.py run_case_timers`): remind, then resolve.

    Each case is decided on its own (a conditional update for the reminder, a
    locked re-read for the resolution), so the job can run twice at once, or be
    interrupted and run again: every reminder is sent once, every case resolved
    once, and a seller who replied or kept the case open a moment ago wins.
    """
    now = now or timezone.now()
    reminder_ids, end_ids = case_timer_ids(now=now)
    reminded = resolved = 0
    for case_id in reminder_ids:
        # Each service queues its e-mail (reminder, resolution) with its own write.
        reminded += case_claim_reminder(case_id=case_id, now=now) is not None
    for case_id in end_ids:
        resolved += case_auto_resolve(case_id=case_id, now=now) is not None
    return TimersRun(reminded=reminded, resolved=resolved)


def search_index_rebuild(*, case_ids: list[int]) -> int:
    """Re-index the text of `case_ids` (messages written in bulk, e.g. demo data)."""
    names: dict[int, list[str]] = {}
    for message_id, name in Attachment.objects.filter(message__case_id__in=case_ids).values_list(
        "message_id", "original_name"
    ):
        names.setdefault(message_id, []).append(name)
    messages = (
        (case_id, message_id, subject, body, names.get(message_id, []))
        for message_id, case_id, subject, body in Message.objects.filter(
            case_id__in=case_ids
        ).values_list("id", "case_id", "subject", "body")
    )
    return case_search_entries_rebuild(case_ids=case_ids, messages=messages)
