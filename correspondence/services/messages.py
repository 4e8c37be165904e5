"""The messages of a case: a seller's or an agent's (`message_post`), an agents'
internal note (`case_note_add`), and the first one, which opens the case
(`case_open`); each all or nothing, files included."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cases.access import get_case_for_support, get_case_for_user
from cases.models import Case, CaseEvent, SellerAccount, User
from cases.notices import case_notify
from cases.services import (
    CaseStateError,
    case_create,
    case_take_if_unassigned,
    case_transition,
    check_member,
)
from correspondence.models import HeldFile, Message
from correspondence.rules import CleanUpload, validate_uploads
from correspondence.services.uploads import (
    _held_files_release,
    _held_uploads,
    files_removed_on_failure,
)
from correspondence.services.write import CaseChangedError, _check_token, _write_message


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
