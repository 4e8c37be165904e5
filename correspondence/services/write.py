"""The write of one message, which every message write uses (`_write_message`: its
row, its files, its search entry), and the errors a message write raises."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cases.models import Case, User
from cases.search import case_search_entry_add
from correspondence.models import Attachment, Message, attachment_path, new_token
from correspondence.rules import MAX_SUBJECT_LENGTH, clean_body, clean_subject, validate_uploads
from correspondence.services.uploads import _storage


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


def _check_token(client_token: str | None) -> None:
    if client_token:
        earlier = Message.objects.filter(client_token=client_token).first()
        if earlier is not None:
            raise DuplicateSubmissionError(earlier)


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
