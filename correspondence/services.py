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

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from background.tasks import enqueue_on_commit
from cases.access import get_case_for_support, get_case_for_user
from cases.models import TRANSITIONS, Case, CaseEvent, SellerAccount, SupportTeam, User
from cases.notices import case_notify
from cases.search_index import case_search_entries_rebuild, case_search_entry_add
from cases.selectors import case_timer_ids
from cases.services import (
    CaseStateError,
    case_auto_resolve,
    case_claim_reminder,
    case_create,
    case_take_if_unassigned,
    case_transition,
    check_member,
)
from correspondence.limits import MAX_ATTACHMENTS, ORPHAN_MIN_AGE
from correspondence.models import (
    Attachment,
    BulkJob,
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


class CaseChangedError(Exception):
    """The case changed after the agent's page showed it (another agent replied, the
    seller wrote, its state moved): nothing was sent. `case` is the case as it is now."""

    def __init__(self, case: Case) -> None:
        super().__init__("The case changed since the page was shown.")
        self.case = case


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
    note = direction == Message.Direction.NOTE
    # A reply without a subject says what it answers, as a mail client would.
    subject = clean_subject(subject) or (
        "" if note else f"RE: {case.short_description}"[:MAX_SUBJECT_LENGTH]
    )
    message = Message.objects.create(
        case=case,
        author=author,
        direction=direction,
        subject=subject,
        body=body,
        # A note goes to nobody.
        recipients=[] if note else [case.primary_email, *case.cc_list],
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
        internal=note,
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
    expected_version: int | None = None,
    held_files: Sequence[HeldFile] = (),
) -> Message:
    """Post a message with up to MAX_ATTACHMENTS files and move the case accordingly.

    `held_files`: files the author's contact form carried here (`held_files_add`),
    attached after `files`. A seller's message ends every file the author held for
    the case, attached or left out: their rows go in this transaction, their
    stored files once it commits.

    `not_solved`: the seller's answer to "Did this solve your problem?" was No and
    this message says why; the case goes back to support, "answer not accepted".

    `expected_version`: the case's `version` the author's page showed; if the case
    changed since (compared under the row lock), nothing is written and
    CaseChangedError is raised.

    Raises ValidationError (a rule broken by the input), CaseStateError (expired
    case, or a move the state table refuses), CaseChangedError or
    DuplicateSubmissionError.
    A seller's message reaches its case through `cases.access` (locked, so a
    former member is refused); a support message, from the admin, through the
    support door (locked too).
    Call it outside any enclosing transaction: files written here are only
    cleaned up if this function's own transaction fails (`files_removed_on_failure`).
    """
    direction = Message.Direction(direction)
    if direction == Message.Direction.NOTE:
        raise ValueError("an internal note is written by case_note_add")
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
            expected_version=expected_version,
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
    expected_version: int | None,
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
            if expected_version is not None and case.version != expected_version:
                raise CaseChangedError(case)
            if direction == Message.Direction.FROM_SUPPORT:
                case_take_if_unassigned(case=case, agent=author)
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


def case_note_add(
    *,
    case: Case,
    author: User,
    body: str,
    files: Sequence[Any] = (),
    client_token: str | None = None,
) -> Message:
    """An agents' internal note on `case`, with up to MAX_ATTACHMENTS files (the
    rules of a reply), all or nothing. No seller ever sees it: it changes neither
    the state nor any date a seller sees ("Updated", last activity), sends no
    e-mail, and its words are indexed for the agents' search only.

    Raises PermissionDenied (not an agent), ValidationError or DuplicateSubmissionError.
    Call it outside any enclosing transaction (`files_removed_on_failure`).
    """
    if not author.has_perm("cases.act_on_case"):
        raise PermissionDenied(_("Only Seller Support agents can write internal notes."))
    try:
        with files_removed_on_failure() as written, transaction.atomic():
            case = get_case_for_support(author, case.pk, for_update=True)
            _check_token(client_token)
            return _write_message(
                case=case,
                author=author,
                direction=Message.Direction.NOTE,
                body=body,
                subject="",
                files=files,
                client_token=client_token,
                written=written,
            )
    except IntegrityError:
        _check_token(client_token)
        raise


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


# The agents' actions on more cases than this run in the background (BulkJob).
BULK_IN_BACKGROUND = 20
BULK_EVENTS = frozenset({CaseEvent.REOPENED, CaseEvent.RESOLVED, CaseEvent.TRANSFERRED})


def bulk_job_start(
    *,
    actor: User,
    event: str,
    case_ids: Sequence[int],
    team: SupportTeam | None = None,
    note: str = "",
) -> BulkJob:
    """Queue an agent's move (reopen, resolve, transfer) of `case_ids` for the worker
    (`correspondence.tasks.run_bulk_job`); the job row and its task commit together."""
    if event not in BULK_EVENTS:
        raise ValueError(f"{event} is not a bulk action")
    if not actor.has_perm("cases.act_on_case"):
        raise PermissionDenied(_("Only Seller Support agents can act on cases."))
    if event == CaseEvent.TRANSFERRED and team is None:
        raise ValueError("a transfer needs a team")
    # The task runs this module's bulk_job_run: imported here, not at the top.
    from correspondence.tasks import run_bulk_job  # noqa: PLC0415

    ids = list(dict.fromkeys(int(pk) for pk in case_ids))
    with transaction.atomic():
        job = BulkJob.objects.create(
            actor=actor, event=event, team=team, note=note, case_ids=ids, total=len(ids)
        )
        enqueue_on_commit(run_bulk_job, job.pk)
    return job


def _already_there(case: Case, event: str, team_id: int | None) -> bool:
    """`case` is where `event` would take it: a bulk job skips it (run twice, a
    job changes nothing twice)."""
    if TRANSITIONS[event].target_from(case.state) != case.state:
        return False
    return event != CaseEvent.TRANSFERRED or case.support_team_id == team_id


def _bulk_one(job: BulkJob, case_id: int) -> str:
    """Move one case of `job`, in its own transaction (the e-mail queued with it);
    returns which counter it adds to: done, skipped or failed."""
    actor = job.actor
    if actor is None:
        return "failed"
    try:
        with transaction.atomic():
            # The agent's door, locked: the check and the move see the same row.
            case = get_case_for_support(actor, case_id, for_update=True)
            if _already_there(case, job.event, job.team_id):
                return "skipped"
            # The move queues its e-mail to the seller in this transaction.
            case_transition(case=case, event=job.event, actor=actor, team=job.team, note=job.note)
    except (CaseStateError, Http404):
        return "failed"
    return "done"


def bulk_job_run(*, job_id: int) -> BulkJob | None:
    """Run `job_id` (the worker): case by case, its counters kept as it goes, so the
    admin shows the progress. Run again (a retried task), it counts afresh and
    skips every case already moved."""
    job = BulkJob.objects.select_related("actor", "team").filter(pk=job_id).first()
    if job is None:
        return None
    BulkJob.objects.filter(pk=job.pk).update(
        status=BulkJob.Status.RUNNING, done=0, skipped=0, failed=0, finished_at=None
    )
    for case_id in job.case_ids:
        counter = _bulk_one(job, case_id)
        BulkJob.objects.filter(pk=job.pk).update(**{counter: F(counter) + 1})
    BulkJob.objects.filter(pk=job.pk).update(status=BulkJob.Status.DONE, finished_at=timezone.now())
    job.refresh_from_db()
    return job


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
    """Re-index the text of `case_ids` (messages written in bulk, e.g. demo data);
    internal notes are indexed as such (the agents' search only)."""
    NOTE = Message.Direction.NOTE
    names: dict[int, list[str]] = {}
    for message_id, name in Attachment.objects.filter(message__case_id__in=case_ids).values_list(
        "message_id", "original_name"
    ):
        names.setdefault(message_id, []).append(name)
    messages = (
        (case_id, message_id, subject, body, names.get(message_id, []), direction == NOTE)
        for message_id, case_id, subject, body, direction in Message.objects.filter(
            case_id__in=case_ids
        ).values_list("id", "case_id", "subject", "body", "direction")
    )
    return case_search_entries_rebuild(case_ids=case_ids, messages=messages)
